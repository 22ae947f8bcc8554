/**
 * The suite's figures (restarts, frames checked, bytes compared, latencies): each test appends its own to
 * one file, and the global teardown prints them together, so the numbers can be quoted as they are.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** How figures of the same name combine: summed (counts) or the largest (latencies). */
  combine: "sum" | "max";
}

const file = () => process.env.RELIABILITY_FIGURES ?? "";

export function count(name: string, value: number, unit = ""): void {
  write({ name, value, unit, combine: "sum" });
}

export function worst(name: string, value: number, unit = "ms"): void {
  write({ name, value, unit, combine: "max" });
}

function write(figure: Figure): void {
  if (file()) appendFileSync(file(), `${JSON.stringify(figure)}\n`);
}

export function summary(path: string): string[] {
  if (!existsSync(path)) return [];
  const combined = new Map<string, Figure>();
  for (const line of readFileSync(path, "utf8").split("\n").filter(Boolean)) {
    const figure = JSON.parse(line) as Figure;
    const seen = combined.get(figure.name);
    if (!seen) combined.set(figure.name, figure);
    else
      seen.value = figure.combine === "sum" ? seen.value + figure.value : Math.max(seen.value, figure.value);
  }
  return [...combined.values()].map(
    (f) =>
      `  ${f.name.padEnd(64)} ${Number.isInteger(f.value) ? f.value : f.value.toFixed(1)}${f.unit ? ` ${f.unit}` : ""}`,
  );
}
