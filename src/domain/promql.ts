// Building PromQL safely. Label values come from users' specs and from metrics, so every value
// is escaped: no value can close the string and change the query.

/** Escapes a label value for a double-quoted PromQL string literal. */
export function escapeLabelValue(value: string): string {
  let out = "";
  for (const ch of value) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default: {
        const code = ch.codePointAt(0) ?? 0;
        // other control characters are written as \u escapes (Go string syntax, as PromQL uses)
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : ch;
      }
    }
  }
  return out;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** `a="x",b="y"` in a stable order. Names are validated (they cannot be escaped). */
export function matchers(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => {
      if (!LABEL_NAME.test(name)) throw new Error(`invalid label name ${JSON.stringify(name)}`);
      return `${name}="${escapeLabelValue(labels[name] as string)}"`;
    })
    .join(",");
}

export function vectorSelector(metric: string, labels: Record<string, string>): string {
  if (!METRIC_NAME.test(metric)) throw new Error(`invalid metric name ${JSON.stringify(metric)}`);
  return `${metric}{${matchers(labels)}}`;
}

export interface RangeOptions {
  window: string; // PromQL duration
  offset?: string | undefined;
  by?: readonly string[];
}

/** sum by (<by>) (increase(<metric>{<labels>}[<window>] offset <offset>)) */
export function sumIncrease(metric: string, labels: Record<string, string>, o: RangeOptions): string {
  const by = [...new Set(o.by ?? [])];
  for (const name of by) if (!LABEL_NAME.test(name)) throw new Error(`invalid label name ${JSON.stringify(name)}`);
  const offset = o.offset ? ` offset ${o.offset}` : "";
  return `sum by (${by.join(", ")}) (increase(${vectorSelector(metric, labels)}[${o.window}]${offset}))`;
}

/**
 * Expands {{selector}}, {{window}} and {{offset}} in a user's query template, in one pass over
 * the template: text that an expansion inserts (an escaped label value) is never scanned
 * again, and a replacement function keeps JavaScript's `$&`, `$'`, `` $` `` and `$$`
 * patterns from being interpreted.
 */
export function expandTemplate(template: string, labels: Record<string, string>, window: string, offset?: string): string {
  const values: Record<string, string> = {
    selector: matchers(labels),
    window,
    offset: offset ? `offset ${offset}` : "",
  };
  return template.replace(/\{\{(selector|window|offset)\}\}/g, (_match, name: string) => values[name] as string);
}
