import { describe, expect, it } from "vitest";
import { cosineDistance, euclideanDistance } from "../../../src/domain/stats/index.ts";
import { value, reason } from "./support.ts";

describe("cosineDistance", () => {
  it("is 0 for parallel, 1 for orthogonal, 2 for opposite vectors", () => {
    expect(value(cosineDistance([1, 2, 3], [2, 4, 6]))).toBeCloseTo(0, 15);
    expect(value(cosineDistance([1, 0], [0, 5]))).toBe(1);
    expect(value(cosineDistance([1, 2], [-1, -2]))).toBe(2);
  });
  it("neither overflows nor underflows", () => {
    expect(value(cosineDistance([1e300, 1e300], [1e300, 0]))).toBeCloseTo(1 - Math.SQRT1_2, 15);
    expect(value(cosineDistance([1e-300, 1e-300], [1e-300, 0]))).toBeCloseTo(1 - Math.SQRT1_2, 15);
  });
  it.each([
    [[0, 0], [1, 2], "reference vector is all zeros"],
    [[1, 2], [0, 0], "current vector is all zeros"],
    [[1, 2, 3], [1, 2], "the reference has 3 dimensions and the current has 2"],
    [[], [], "non-empty vectors"],
    [[1, Number.NaN], [1, 2], "non-finite value (NaN) in dimension 1"],
    [[1, 2], [Infinity, 2], "the current vector has a non-finite value (+Inf) in dimension 0"],
  ] as [number[], number[], string][])("refuses %j vs %j", (u, v, expected) => {
    expect(reason(cosineDistance(u, v))).toContain(expected);
  });
});

describe("euclideanDistance", () => {
  it("is the length of the difference, without overflow", () => {
    expect(value(euclideanDistance([0, 0], [3, 4]))).toBe(5);
    expect(value(euclideanDistance([1, 1], [1, 1]))).toBe(0);
    expect(value(euclideanDistance([3e300, 0], [0, 4e300]))).toBeCloseTo(5e300, -286);
    expect(reason(euclideanDistance([-1.5e308], [1.5e308]))).toContain("exceeds the largest finite number");
  });
  it("refuses mismatched dimensions and non-finite values", () => {
    expect(reason(euclideanDistance([1], [1, 2]))).toContain("same dimension");
    expect(reason(euclideanDistance([Number.NaN], [1]))).toContain("non-finite");
  });
});
