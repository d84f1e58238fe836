#!/usr/bin/env node
// Sums the CTRF reports (one per test project) under a folder into one line:
//   "N passed, N failed, N skipped"
// Exits non-zero when a test failed or when no test ran at all.
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const expectedReports = process.argv[3] ? Number(process.argv[3]) : 0;
if (!dir) {
  console.error('usage: node summarize-results.js <results-dir>');
  process.exit(2);
}

function reports(folder) {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return reports(full);
    return entry.name.endsWith('.ctrf') || entry.name.endsWith('.ctrf.json') ? [full] : [];
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const files = reports(dir);
for (const file of files) {
  const summary = JSON.parse(fs.readFileSync(file, 'utf8')).results.summary;
  totals.passed += summary.passed;
  totals.failed += summary.failed + (summary.other || 0);
  totals.skipped += summary.skipped + (summary.pending || 0);
}
if (files.length < expectedReports) {
  // A test project that crashed or never started writes no report: count it as a failure.
  console.error(`only ${files.length} of ${expectedReports} test projects wrote a report`);
  totals.failed += expectedReports - files.length;
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
