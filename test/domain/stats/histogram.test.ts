import { describe, expect, it } from "vitest";
import {
  binsFromCumulative,
  histogramMedian,
  histogramQuantile,
  representativePoints,
  sameLayout,
  shareBelow,
  validateHistogram,
  type Histogram,
} from "../../../src/domain/stats/index.ts";
import { cumulative, value, reason, hist } from "./support.ts";

/** Histogram from upper bounds (last must be Infinity) and per-bin counts. */

describe("binsFromCumulative", () => {
  it("sorts unsorted cumulative buckets and differences them", () => {
    const h = value(binsFromCumulative(cumulative([Infinity, 100], [0.5, 60], [0.1, 10], [1, 90])));
    expect(h.bins).toEqual([
      { lower: -Infinity, upper: 0.1, count: 10 },
      { lower: 0.1, upper: 0.5, count: 50 },
      { lower: 0.5, upper: 1, count: 30 },
      { lower: 1, upper: Infinity, count: 10 },
    ]);
    expect(h.total).toBe(100);
    expect(h.forcedMonotonic).toBe(false);
  });

  it("clamps a negative difference from extrapolation to zero and keeps the total", () => {
    // increase() extrapolated le=0.5 below le=0.1
    const h = value(binsFromCumulative(cumulative([0.1, 10.4], [0.5, 9.8], [1, 20], [Infinity, 20])));
    expect(h.bins.map((b) => b.count)).toEqual([10.4, 0, 20 - 10.4, 0]);
    expect(h.total).toBe(20);
    expect(h.forcedMonotonic).toBe(true);
  });

  it("takes the +Inf bucket below its predecessor as an empty last bin (total = running maximum)", () => {
    const h = value(binsFromCumulative(cumulative([1, 5], [Infinity, 4.9])));
    expect(h.bins.map((b) => b.count)).toEqual([5, 0]);
    expect(h.total).toBe(5);
  });

  it("merges buckets with the same le, as PromQL does", () => {
    const h = value(binsFromCumulative(cumulative([1, 2], [1, 3], [Infinity, 9])));
    expect(h.bins.map((b) => b.count)).toEqual([5, 4]);
  });

  it("accepts a histogram with only the +Inf bucket", () => {
    const h = value(binsFromCumulative([{ le: Infinity, count: 7 }]));
    expect(h.bins).toEqual([{ lower: -Infinity, upper: Infinity, count: 7 }]);
  });

  it("does not modify its input", () => {
    const input = [
      { le: Infinity, count: 3 },
      { le: 1, count: 1 },
    ];
    const copy = structuredClone(input);
    binsFromCumulative(input);
    expect(input).toEqual(copy);
  });

  it("keeps huge counts exact", () => {
    const h = value(
      binsFromCumulative([
        { le: 1, count: 1e12 },
        { le: 2, count: 3e12 + 1 },
        { le: Infinity, count: 4e12 + 1 },
      ]),
    );
    expect(h.bins.map((b) => b.count)).toEqual([1e12, 2e12 + 1, 1e12]);
  });

  it.each([
    [[], "no buckets"],
    [[{ le: 1, count: 3 }], 'no le="+Inf" bucket'],
    [
      [
        { le: Number.NaN, count: 3 },
        { le: Infinity, count: 3 },
      ],
      "upper bound (le) that is not a number",
    ],
    [
      [
        { le: -Infinity, count: 3 },
        { le: Infinity, count: 3 },
      ],
      "le=-Inf",
    ],
    [
      [
        { le: 0.5, count: Number.NaN },
        { le: Infinity, count: 3 },
      ],
      "bucket le=0.5 has a NaN count",
    ],
    [
      [
        { le: 0.5, count: -1 },
        { le: Infinity, count: 3 },
      ],
      "bucket le=0.5 has a negative count (-1)",
    ],
    [
      [
        { le: 0.5, count: 1 },
        { le: Infinity, count: Infinity },
      ],
      "bucket le=+Inf has an infinite count",
    ],
  ] as [{ le: number; count: number }[], string][])("refuses %j with a clear reason", (buckets, expected) => {
    expect(reason(binsFromCumulative(buckets))).toContain(expected);
  });
});

describe("validateHistogram and sameLayout", () => {
  it("answers the total of a valid histogram", () => {
    expect(value(validateHistogram(hist([1, Infinity], [2, 3])))).toBe(5);
  });
  it.each([
    [{ bins: [], total: 0 }, "zero bins"],
    [hist([1, 2], [1, 1]), 'no le="+Inf" bucket'],
    [hist([2, 1, Infinity], [1, 1, 1]), "upper bounds must increase"],
    [hist([1, Infinity], [Number.NaN, 1]), "a NaN count in bucket le=1"],
    [{ bins: [{ lower: 0, upper: Infinity, count: 1 }], total: 1 }, "starting at 0 instead of -Inf"],
  ] as [Histogram, string][])("refuses a malformed histogram (%#)", (h, expected) => {
    expect(reason(validateHistogram(h, "reference"))).toContain(expected);
  });

  it("accepts equal layouts", () => {
    expect(value(sameLayout(hist([1, Infinity], [1, 2]), hist([1, Infinity], [5, 0])))).toEqual([1, Infinity]);
  });
  it("names the buckets that only one side has", () => {
    const r = reason(sameLayout(hist([0.1, 0.5, 1, Infinity], [1, 1, 1, 1]), hist([0.1, 1, Infinity], [1, 1, 1])));
    expect(r).toBe("the bucket layouts differ: the reference histogram has 4 buckets and the current one has 3 (only the reference has le=0.5)");
  });
  it("names the first differing bucket", () => {
    const r = reason(sameLayout(hist([0.1, 0.5, Infinity], [1, 1, 1]), hist([0.1, 0.6, Infinity], [1, 1, 1])));
    expect(r).toBe("the bucket layouts differ: bucket 2 of 3 is le=0.5 in the reference histogram and le=0.6 in the current one");
  });
});

describe("histogramQuantile (PromQL histogram_quantile)", () => {
  // cumulative: le=0.1: 10, le=0.5: 30, le=1: 40, +Inf: 40
  const h = hist([0.1, 0.5, 1, Infinity], [10, 20, 10, 0]);
  it.each([
    [0.5, 0.1 + 0.4 * (10 / 20)], // rank 20 in (0.1, 0.5]
    [0.25, 0.1], // rank 10 = end of the first bucket
    [0.1, 0.1 * (4 / 10)], // lowest bucket spans [0, 0.1]
    [1, 1], // rank 40 reached in (0.5, 1]
    [0, 0], // lower edge of [0, 0.1]
  ])("q=%d", (q, expected) => {
    expect(value(histogramQuantile(q, h))).toBeCloseTo(expected, 14);
  });
  it("answers the highest finite bound when the rank falls in the +Inf bucket", () => {
    expect(value(histogramQuantile(0.99, hist([0.1, 0.5, Infinity], [10, 10, 80])))).toBe(0.5);
  });
  it("answers the upper bound of a lowest bucket with le <= 0", () => {
    expect(value(histogramQuantile(0.1, hist([-1, 0, 1, Infinity], [10, 10, 10, 0])))).toBe(-1);
    expect(value(histogramQuantile(0.5, hist([-1, 0, 1, Infinity], [10, 10, 10, 0])))).toBeCloseTo(-0.5, 14);
  });
  it("answers the lower edge of the first non-empty bucket for q=0 where PromQL answers NaN", () => {
    expect(value(histogramQuantile(0, hist([0.1, 0.5, Infinity], [0, 4, 1])))).toBe(0.1);
    expect(value(histogramQuantile(0, hist([0.1, 0.5, Infinity], [0, 0, 3])))).toBe(0.5);
  });
  it("gives the median", () => {
    expect(value(histogramMedian(h))).toBeCloseTo(0.3, 14);
  });
  it.each([
    [Number.NaN, h, "not a number"],
    [-0.1, h, "outside [0, 1]"],
    [1.5, h, "outside [0, 1]"],
    [0.5, hist([0.1, Infinity], [0, 0]), "empty (total count 0)"],
    [0.5, hist([Infinity], [5]), 'only the le="+Inf" bucket'],
    [0.5, hist([0.1, Infinity], [Infinity, 1]), "an infinite count in bucket le=0.1"],
  ] as [number, Histogram, string][])("refuses q=%d on a bad histogram (%#)", (q, bad, expected) => {
    expect(reason(histogramQuantile(q, bad))).toContain(expected);
  });
});

describe("shareBelow (PromQL histogram_fraction(-Inf, t))", () => {
  const h = hist([0.1, 0.5, 1, Infinity], [10, 20, 10, 10]);
  it.each([
    [0.5, 30 / 50], // on a boundary
    [0.3, (10 + 20 * (0.2 / 0.4)) / 50], // interpolated
    [0.05, (10 * 0.5) / 50], // lowest bucket spans [0, 0.1]
    [0, 0], // nothing below 0 when the lowest le > 0
    [-3, 0],
    [2, 40 / 50], // +Inf bucket counts as above any finite threshold
    [Infinity, 1],
    [-Infinity, 0],
  ])("threshold %d", (t, expected) => {
    expect(value(shareBelow(t, h))).toBeCloseTo(expected, 14);
  });
  it("counts a lowest bucket with le <= 0 whole", () => {
    expect(value(shareBelow(-2, hist([-1, 0, Infinity], [4, 4, 2])))).toBeCloseTo(0.4, 14);
  });
  it.each([
    [Number.NaN, h, "not a number"],
    [0.5, hist([0.1, Infinity], [0, 0]), "empty"],
    [0.5, hist([Infinity], [5]), 'only the le="+Inf" bucket'],
  ] as [number, Histogram, string][])("refuses %d on a bad histogram (%#)", (t, bad, expected) => {
    expect(reason(shareBelow(t, bad))).toContain(expected);
  });
});

describe("representativePoints", () => {
  it("uses midpoints, le/2 for a positive lowest bucket, and the highest finite le for +Inf", () => {
    expect(value(representativePoints([0.1, 0.5, 1, Infinity]))).toEqual([0.05, 0.3, 0.75, 1]);
  });
  it("uses le itself for a lowest bucket with le <= 0", () => {
    expect(value(representativePoints([-2, 0, 2, Infinity]))).toEqual([-2, -1, 1, 2]);
  });
  it("needs a finite boundary", () => {
    expect(reason(representativePoints([Infinity]))).toContain("at least one finite bucket boundary");
  });
});
