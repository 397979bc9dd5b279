import { describe, expect, it } from "vitest";
import { forPeople, human, humanCount, humanP, humanPercent } from "../../src/domain/format.ts";

describe("numbers for people", () => {
  it.each([
    [661.0301000000001, "661"],
    [2.220446049250313e-16, "0"],
    [-2.220446049250313e-16, "0"],
    [0.123456, "0.1235"],
    [1234567, "1235000"],
    [0.00012346, "0.0001235"],
    [0, "0"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
  ])("%s -> %s", (x, shown) => expect(human(x)).toBe(shown));

  it("keeps status numbers as numbers, rounded the same way", () => {
    expect(forPeople(661.0301000000001)).toBe(661);
    expect(forPeople(2.22045e-16)).toBe(0);
    expect(forPeople(Infinity)).toBe(Infinity);
  });

  it("spells percentages, p-values and counts", () => {
    expect(humanPercent(0.0301000000001)).toBe("3.01 %");
    expect(humanP(0.0123456)).toBe("= 0.01235");
    expect(humanP(1e-12)).toBe("< 0.0001");
    expect(humanCount(661.0301000000001)).toBe("661");
  });
});
