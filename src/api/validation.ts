// Turns zod issues into one readable message that names each field and its problem.
import type { z } from "zod";

export function formatIssues(error: z.ZodError, root: string): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${String(part)}`), root);
      return `${path}: ${issue.message}`;
    })
    .join("; ");
}
