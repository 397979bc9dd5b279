// The default theme, with tables that wrap long code (the API reference's patterns and paths).
import DefaultTheme from "vitepress/theme";
import "./custom.css";

export default DefaultTheme;
