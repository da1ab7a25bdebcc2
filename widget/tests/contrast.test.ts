import { describe, expect, it } from "vitest";
import { brandColors, contrast, DARK_BG, LIGHT_BG, parseRgb, type Rgb } from "../src/panel/contrast";

const WHITE: Rgb = [255, 255, 255];

describe("brand colours stay readable", () => {
  it("computes WCAG contrast", () => {
    expect(contrast(WHITE, [0, 0, 0])).toBeCloseTo(21, 5);
    expect(contrast([229, 57, 53], WHITE)).toBeCloseTo(4.22, 1);
  });

  it.each([
    ["the demo's red", [229, 57, 53]],
    ["a light yellow", [255, 235, 59]],
    ["a mid green", [76, 175, 80]],
    ["a dark navy", [20, 40, 90]],
    ["white", [255, 255, 255]],
    ["black", [0, 0, 0]],
  ] as [string, Rgb][])("%s: text on the brand and the brand as text pass AA", (_, brand) => {
    const c = brandColors(brand);
    expect(contrast(c.on, c.solid)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(c.inkLight, LIGHT_BG)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(c.inkDark, DARK_BG)).toBeGreaterThanOrEqual(4.5);
  });

  it("a brand that already passes is kept as it is", () => {
    const navy: Rgb = [20, 40, 90];
    expect(brandColors(navy).solid).toEqual(navy);
    expect(brandColors(navy).on).toEqual(WHITE);
  });

  it("reads the colour the browser resolved", () => {
    expect(parseRgb("rgb(229, 57, 53)")).toEqual([229, 57, 53]);
    expect(parseRgb("rgba(1, 2, 3, 0.5)")).toEqual([1, 2, 3]);
    expect(parseRgb("")).toBeNull();
  });
});
