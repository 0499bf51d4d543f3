// CSV: headers (given, absent, detected), delimiters, label columns (by index, negative index, name; integer,
// fractional and text labels), RFC 4180 quoting, CRLF and blank lines, and errors that name line and column.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseCsv } from "../src/data/index.js";
import { readCsv } from "../src/node.js";

const IRIS = `sepal_length,sepal_width,species
5.1,3.5,setosa
7.0,3.2,versicolor
6.3,3.3,virginica
4.9,3.0,setosa
`;

describe("parseCsv", () => {
  test("a header is detected, features are float32 [rows, columns]", () => {
    const t = parseCsv("a,b,c\n1,2,3\n4,5,6\n");
    assert.deepEqual(t.columns, ["a", "b", "c"]);
    assert.equal(t.features.dtype, "float32");
    assert.deepEqual(t.features.shape, [2, 3]);
    assert.deepEqual(t.features.toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.equal(t.labels, null);
    assert.equal(t.labelName, null);
  });

  test("an all-numeric first row is data unless header: true says otherwise", () => {
    const auto = parseCsv("1,2\n3,4");
    assert.deepEqual(auto.features.shape, [2, 2]);
    assert.deepEqual(auto.columns, ["column 1", "column 2"]);
    const forced = parseCsv("1,2\n3,4", { header: true });
    assert.deepEqual(forced.columns, ["1", "2"]);
    assert.deepEqual(forced.features.toArray(), [[3, 4]]);
    assert.throws(() => parseCsv("x,y\n1,2", { header: false }), /line 1, column 1: "x" is not a number/);
  });

  test("text labels become sorted class indices", () => {
    const t = parseCsv(IRIS, { labelColumn: "species" });
    assert.deepEqual(t.columns, ["sepal_length", "sepal_width"]);
    assert.equal(t.labelName, "species");
    assert.deepEqual(t.classes, ["setosa", "versicolor", "virginica"]);
    assert.equal(t.labels!.dtype, "int32");
    assert.deepEqual(t.labels!.toArray(), [0, 1, 2, 0]);
    assert.deepEqual(t.features.toArray(), [[5.1, 3.5], [7.0, 3.2], [6.3, 3.3], [4.9, 3.0]].map((r) => r.map(Math.fround)));
  });

  test("integer labels are int32, fractional ones float32; the column by index or from the end", () => {
    const ints = parseCsv("2,0.5,1\n0,1.5,2\n", { labelColumn: 0 });
    assert.equal(ints.labels!.dtype, "int32");
    assert.deepEqual(ints.labels!.toArray(), [2, 0]);
    assert.deepEqual(ints.features.toArray(), [[0.5, 1], [1.5, 2]]);
    const reg = parseCsv("1,2,0.25\n3,4,-1.5\n", { labelColumn: -1 });
    assert.equal(reg.labels!.dtype, "float32");
    assert.deepEqual(reg.labels!.toArray(), [0.25, -1.5]);
    assert.deepEqual(reg.columns, ["column 1", "column 2"]);
    assert.equal(reg.labelName, "column 3");
    assert.equal(parseCsv("1,3000000000\n", { labelColumn: 1 }).labels!.dtype, "float32");
  });

  test("delimiters, quoting, CRLF, a BOM, blank lines and spaces", () => {
    const t = parseCsv('\ufeff"name; with ""quotes""";b\r\n 1 ; "2"\r\n\r\n3;4\r\n\n', { delimiter: ";" });
    assert.deepEqual(t.columns, ['name; with "quotes"', "b"]);
    assert.deepEqual(t.features.toArray(), [[1, 2], [3, 4]]);
    const tabs = parseCsv("x\ty\n1\t2\n", { delimiter: "\t" });
    assert.deepEqual(tabs.features.toArray(), [[1, 2]]);
    const multiline = parseCsv('"a\nb",c\n1,2\n');
    assert.deepEqual(multiline.columns, ["a\nb", "c"]);
    assert.deepEqual(parseCsv("a\nNaN\n-Infinity\n1e3\n").features.toArray(), [[NaN], [-Infinity], [1000]]);
  });

  test("errors name the line and column", () => {
    assert.throws(() => parseCsv("a,b,c\n1,2,3\n4,x5,6\n"), /line 3, column 2 \("b"\): "x5" is not a number/);
    assert.throws(() => parseCsv("a,b\n1,\n"), /line 2, column 2 \("b"\): the cell is empty/);
    assert.throws(() => parseCsv("a,b,c\n1,2,3\n\n4,5\n"), /line 4 has 2 cells, expected 3 \(as in line 1\)/);
    assert.throws(() => parseCsv("1,2\n3,4,5\n"), /line 2 has 3 cells, expected 2/);
    // Line numbers count the lines inside quoted cells.
    assert.throws(() => parseCsv('"x\ny",b\n1,2\nz,3\n'), /line 4, column 1 \("x\\ny"\): "z" is not a number/);
    assert.throws(() => parseCsv(IRIS, { labelColumn: "kind" }), /no column named "kind" \(the header has "sepal_length", "sepal_width", "species"\)/);
    assert.throws(() => parseCsv("1,2\n", { labelColumn: "y" }), /no header row; give the column's index/);
    assert.throws(() => parseCsv("1,2\n", { labelColumn: 2 }), /labelColumn 2 is out of range for 2 columns/);
    assert.throws(() => parseCsv("a,y\n1,\n", { labelColumn: "y" }), /line 2, column 2 \("y"\): the label is empty/);
    assert.throws(() => parseCsv("\n\n"), /no rows/);
    assert.throws(() => parseCsv('a,"b\n1,2\n'), /line 1: a quoted field is never closed/);
    assert.throws(() => parseCsv("a\n1", { delimiter: ";;" }), /delimiter must be one character/);
  });
});

describe("readCsv (Node)", () => {
  let dir = "";
  before(() => { dir = mkdtempSync(path.join(tmpdir(), "axon-csv-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("reads a file and names it in errors", () => {
    const file = path.join(dir, "iris.csv");
    writeFileSync(file, IRIS);
    const t = readCsv(file, { labelColumn: -1 });
    assert.deepEqual(t.features.shape, [4, 2]);
    assert.deepEqual(t.classes, ["setosa", "versicolor", "virginica"]);
    const bad = path.join(dir, "bad.csv");
    writeFileSync(bad, "a,b\n1,2\n3,oops\n");
    assert.throws(() => readCsv(bad), (e: Error) => e.message === `readCsv: line 3, column 2 ("b"): "oops" is not a number (file ${bad})`);
    assert.throws(() => readCsv(path.join(dir, "missing.csv")), /readCsv: cannot read .*missing\.csv/);
  });
});
