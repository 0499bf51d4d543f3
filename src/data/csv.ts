// CSV tables of numbers -> a float32 feature matrix and, optionally, a label column. The text is parsed here (so it
// runs in a browser); reading the file is at the Node edge (readCsv in src/data/node/csv.ts).
// Fields follow RFC 4180: a field may be quoted, a quoted field may hold the delimiter, newlines and "" for a quote.

import { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface CsvOptions {
  /** Whether the first row names the columns. "auto" (the default): it does when any of its cells is not a number. */
  header?: boolean | "auto";
  /** Cell separator, one character (default ","). */
  delimiter?: string;
  /** The column to take out as labels: a 0-based index (negative counts from the end, -1 is the last) or a header
   *  name. Absent: every column is a feature and `labels` is null. */
  labelColumn?: number | string;
}

export const CSV_OPTION_KEYS = optionKeys<CsvOptions>({ header: true, delimiter: true, labelColumn: true });

export interface CsvTable {
  /** float32 [rows, feature columns]. */
  features: Tensor;
  /** The label column: int32 [rows] when every label is an integer that int32 holds (class indices), float32 [rows] when the labels
   *  are numbers with fractions (regression targets), int32 class indices into `classes` when any label is not a
   *  number (class names). null without labelColumn. */
  labels: Tensor | null;
  /** Names of the feature columns, from the header, else "column 1", "column 2", ... (1-based, as in the errors). */
  columns: string[];
  /** The label column's name, or null without labelColumn. */
  labelName: string | null;
  /** For text labels: the distinct names in sorted order; labels[i] indexes this list. null otherwise. */
  classes: string[] | null;
}

export class CsvError extends Error {
  override name = "CsvError";
}

interface Row { cells: string[]; line: number }

/** Splits CSV text into rows of raw cells, remembering each row's (1-based) line. Blank lines are skipped. */
function splitRows(text: string, delim: string): Row[] {
  const rows: Row[] = [];
  let cells: string[] = [];
  let cell = "";
  let line = 1, rowLine = 1;
  let quoted = false, sawQuote = false, any = false;
  const endCell = () => { cells.push(cell); cell = ""; sawQuote = false; };
  const endRow = () => {
    endCell();
    if (any) rows.push({ cells, line: rowLine });
    cells = []; any = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; }
        else quoted = false;
      } else {
        if (c === "\n") line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell.trim() === "" && !sawQuote) { quoted = true; sawQuote = true; any = true; cell = ""; continue; }
    if (c === delim) { endCell(); any = true; continue; }
    if (c === "\r" && text[i + 1] === "\n") continue;
    if (c === "\n" || c === "\r") { endRow(); line++; rowLine = line; continue; }
    if (c.trim() !== "") any = true;
    cell += c;
  }
  if (quoted) throw new CsvError(`parseCsv: line ${rowLine}: a quoted field is never closed`);
  endRow();
  return rows;
}

const toNumber = (s: string): number => {
  const t = s.trim();
  return t === "" ? NaN : Number(t);
};
const isNumeric = (s: string): boolean => {
  const t = s.trim();
  return t !== "" && (!Number.isNaN(Number(t)) || /^[+-]?nan$/i.test(t));
};

/**
 * Parses CSV text into a float32 feature matrix and an optional label column. Every feature cell must be a number
 * ("NaN" and "Infinity" are accepted as written; an empty cell is an error); every row must have as many cells as
 * the first. Errors name the line and column: `parseCsv: line 7, column 3 ("age"): "abc" is not a number`.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvTable {
  if (typeof text !== "string") throw new TypeError("parseCsv: expected the CSV text as a string");
  checkOptionKeys("parseCsv", opts, CSV_OPTION_KEYS);
  const { header = "auto", delimiter = ",", labelColumn } = opts;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new RangeError(`parseCsv: delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  const rows = splitRows(text.startsWith("\ufeff") ? text.slice(1) : text, delimiter);
  if (rows.length === 0) throw new CsvError("parseCsv: the text has no rows");
  const width = rows[0].cells.length;
  const hasHeader = header === "auto" ? !rows[0].cells.every(isNumeric) : header;
  const names = hasHeader ? rows[0].cells.map((c, j) => c.trim() || `column ${j + 1}`) : rows[0].cells.map((_, j) => `column ${j + 1}`);
  const body = hasHeader ? rows.slice(1) : rows;
  for (const r of body) {
    if (r.cells.length !== width) {
      throw new CsvError(`parseCsv: line ${r.line} has ${r.cells.length} cells, expected ${width} (as in line ${rows[0].line})`);
    }
  }

  let labelCol = -1;
  if (labelColumn !== undefined) {
    if (typeof labelColumn === "string") {
      labelCol = names.indexOf(labelColumn);
      if (labelCol < 0) throw new CsvError(`parseCsv: no column named ${JSON.stringify(labelColumn)}${hasHeader ? ` (the header has ${names.map((n) => JSON.stringify(n)).join(", ")})` : " (the text has no header row; give the column's index)"}`);
    } else {
      if (!Number.isInteger(labelColumn) || labelColumn < -width || labelColumn >= width) {
        throw new RangeError(`parseCsv: labelColumn ${labelColumn} is out of range for ${width} columns`);
      }
      labelCol = labelColumn < 0 ? labelColumn + width : labelColumn;
    }
  }

  const featureCols = names.map((_, j) => j).filter((j) => j !== labelCol);
  const nf = featureCols.length;
  const features = new Float32Array(body.length * nf);
  body.forEach((r, i) => {
    for (let k = 0; k < nf; k++) {
      const j = featureCols[k];
      const cell = r.cells[j];
      if (!isNumeric(cell)) {
        const what = cell.trim() === "" ? "the cell is empty" : `${JSON.stringify(cell.trim())} is not a number`;
        throw new CsvError(`parseCsv: line ${r.line}, column ${j + 1}${hasHeader ? ` (${JSON.stringify(names[j])})` : ""}: ${what}`);
      }
      features[i * nf + k] = toNumber(cell);
    }
  });

  let labels: Tensor | null = null, classes: string[] | null = null;
  if (labelCol >= 0) {
    const raw = body.map((r) => r.cells[labelCol].trim());
    const empty = raw.findIndex((s) => s === "");
    if (empty >= 0) throw new CsvError(`parseCsv: line ${body[empty].line}, column ${labelCol + 1}${hasHeader ? ` (${JSON.stringify(names[labelCol])})` : ""}: the label is empty`);
    if (raw.every(isNumeric)) {
      const vals = raw.map(Number);
      const ints = vals.every((v) => Number.isInteger(v) && Math.abs(v) <= 2147483647);
      labels = ints ? new Tensor(Int32Array.from(vals), [vals.length]) : new Tensor(Float32Array.from(vals), [vals.length]);
    } else {
      // Sorted, so the mapping from names to indices does not depend on row order.
      classes = [...new Set(raw)].sort();
      const index = new Map(classes.map((c, i) => [c, i]));
      labels = new Tensor(Int32Array.from(raw, (s) => index.get(s)!), [raw.length]);
    }
  }

  return {
    features: new Tensor(features, [body.length, nf]),
    labels,
    columns: featureCols.map((j) => names[j]),
    labelName: labelCol >= 0 ? names[labelCol] : null,
    classes,
  };
}
