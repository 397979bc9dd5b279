// Query batching, the pure half: monitors whose queries differ only in the values of their
// selectors' labels are served by one query that groups by those labels too, and its answer is
// split back per monitor. For `sum by (G) (increase(m{sel}[w]))` every series is summed into the
// group of its own labels, so the same sum grouped by (G, model) and read at model="a" holds
// exactly the series model="a" selects, summed the same way.
//
// A query is recognised by an exact round trip: it is parsed into its parts, and batched only
// when sumIncrease() rebuilds the very same text from them. No other query is ever rewritten.
import { escapeLabelValue, sumIncrease } from "./promql.ts";
import type { Sample } from "./observation.ts";

/** The parts of `sum by (<by>) (increase(<metric>{<labels>}[<window>] offset <offset>))`. */
export interface SumIncreaseQuery {
  metric: string;
  labels: Record<string, string>;
  window: string;
  offset?: string | undefined;
  by: string[];
}

const SHAPE = /^sum by \(([a-zA-Z0-9_, ]*)\) \(increase\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\[([0-9a-z]+)\]( offset [0-9a-z]+)?\)\)$/s;
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gsy;

function unescapeLabelValue(text: string): string {
  return text.replace(/\\(u[0-9a-f]{4}|.)/gs, (_m, c: string) =>
    c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c,
  );
}

/** The parts of a query sumIncrease() built, or undefined for any other text. */
export function parseSumIncrease(expr: string): SumIncreaseQuery | undefined {
  const m = SHAPE.exec(expr);
  if (!m) return undefined;
  const [, byText, metric, matcherText, window, offsetText] = m as unknown as [string, string, string, string, string, string | undefined];
  const labels: Record<string, string> = {};
  MATCHER.lastIndex = 0;
  let at = 0;
  while (at < matcherText.length) {
    MATCHER.lastIndex = at;
    const mm = MATCHER.exec(matcherText);
    if (!mm) return undefined;
    labels[mm[1] as string] = unescapeLabelValue(mm[2] as string);
    at = MATCHER.lastIndex;
  }
  const by = byText === "" ? [] : byText.split(", ");
  const query: SumIncreaseQuery = { metric, labels, window, offset: offsetText?.slice(" offset ".length), by };
  try {
    return sumIncrease(metric, labels, { window, offset: query.offset, by }) === expr ? query : undefined;
  } catch {
    return undefined;
  }
}

/** What members of one batch share: everything but their label values. */
export function batchShapeKey(q: SumIncreaseQuery): string {
  return JSON.stringify([q.metric, q.window, q.offset ?? "", q.by, Object.keys(q.labels).sort()]);
}

/** A member's values of the labels that tell the batch's members apart, as one key. */
export const memberKey = (labels: Record<string, string>, differing: readonly string[]): string => differing.map((d) => labels[d] ?? "").join("\u0000");

/** RE2 metacharacters, escaped so a label value matches only itself. */
const escapeRegex = (value: string) => value.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");

export interface BatchedQuery {
  expr: string;
  /** The label names whose values differ among the members: the answer is split by them. */
  differing: string[];
}

/**
 * One query for members of the same shape (batchShapeKey): labels with one value stay equality
 * matchers, the others become an anchored alternation of the members' values and join the
 * grouping. Combinations no member asked for (two differing labels) are read and left unused.
 */
export function batchedQuery(members: readonly SumIncreaseQuery[]): BatchedQuery {
  const first = members[0];
  if (!first) throw new Error("an empty batch");
  const names = Object.keys(first.labels).sort();
  const differing = names.filter((n) => members.some((m) => m.labels[n] !== first.labels[n]));
  const parts = names.map((n) => {
    if (!differing.includes(n)) return `${n}="${escapeLabelValue(first.labels[n] as string)}"`;
    const values = [...new Set(members.map((m) => m.labels[n] as string))].sort();
    return `${n}=~"${escapeLabelValue(values.map(escapeRegex).join("|"))}"`;
  });
  const by = [...new Set([...first.by, ...differing])];
  const offset = first.offset ? ` offset ${first.offset}` : "";
  return { expr: `sum by (${by.join(", ")}) (increase(${first.metric}{${parts.join(",")}}[${first.window}]${offset}))`, differing };
}

/**
 * The batched answer split per member key: each sample goes to the member whose values it
 * carries, without the labels added for the split (a label of the member's own grouping stays).
 */
export function splitBatched(samples: readonly Sample[], differing: readonly string[], by: readonly string[]): Map<string, Sample[]> {
  const added = differing.filter((d) => !by.includes(d));
  const out = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = memberKey(s.labels, differing);
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    if (added.length === 0) list.push(s);
    else {
      // copied without the added labels (rather than deleted from a copy: V8 keeps this shape fast)
      const labels: Record<string, string> = {};
      for (const name in s.labels) if (!added.includes(name)) labels[name] = s.labels[name] as string;
      list.push({ labels, value: s.value });
    }
  }
  return out;
}
