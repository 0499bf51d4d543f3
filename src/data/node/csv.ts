// Node-only: CSV files on disk, parsed by the core's parseCsv.

import { readFileSync } from "node:fs";
import { parseCsv, CSV_OPTION_KEYS, type CsvOptions, type CsvTable } from "../csv.js";
import { checkOptionKeys } from "../../util/options.js";

/** Reads a UTF-8 CSV file and parses it with parseCsv; errors name the file. */
export function readCsv(file: string, opts: CsvOptions = {}): CsvTable {
  checkOptionKeys("readCsv", opts, CSV_OPTION_KEYS);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`readCsv: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parseCsv(text, opts);
  } catch (e) {
    const err = e as Error;
    err.message = `${err.message.replace(/^parseCsv: /, "readCsv: ")} (file ${file})`;
    throw err;
  }
}
