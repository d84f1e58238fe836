#!/usr/bin/env node
// Compiles every tests/contracts/*.sol with solc-js (the exact version pinned in tools/package.json)
// and writes <outDir>/<ContractName>.json = { "abi": [...], "bytecode": "0x..." } per contract.
//
//   node tools/compile-contracts.js <outDir>
//
// Contract sources are found relative to this script, so the working directory does not matter;
// <outDir> is resolved against the working directory. Exits non-zero (printing the compiler
// errors) on any compile error; nothing is written in that case.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const CONTRACTS_DIR = path.resolve(__dirname, '..', 'tests', 'contracts');
const EVM_VERSION = 'paris'; // no PUSH0: runs on anvil and on any post-merge chain
const OPTIMIZER_RUNS = 200;

function fail(message) {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(1);
}

function main() {
  const outArg = process.argv[2];
  if (!outArg || process.argv.length > 3) {
    fail('usage: node compile-contracts.js <outDir>');
  }
  const outDir = path.resolve(process.cwd(), outArg);

  let files;
  try {
    files = fs.readdirSync(CONTRACTS_DIR).filter((f) => f.endsWith('.sol')).sort();
  } catch (e) {
    fail(`cannot read ${CONTRACTS_DIR}: ${e.message}`);
  }
  if (files.length === 0) fail(`no .sol files in ${CONTRACTS_DIR}`);

  const sources = {};
  for (const f of files) {
    sources[f] = { content: fs.readFileSync(path.join(CONTRACTS_DIR, f), 'utf8') };
  }

  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      evmVersion: EVM_VERSION,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };

  const findImports = (p) => ({ error: `imports are not supported (${p})` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  const diagnostics = output.errors || [];
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const w of diagnostics.filter((d) => d.severity !== 'error')) {
    process.stderr.write(w.formattedMessage || w.message);
  }
  if (errors.length > 0) {
    fail(`solc ${solc.version()} failed:\n` + errors.map((e) => e.formattedMessage || e.message).join('\n'));
  }

  const artifacts = new Map();
  for (const file of Object.keys(output.contracts || {}).sort()) {
    for (const [name, c] of Object.entries(output.contracts[file])) {
      if (artifacts.has(name)) {
        fail(`contract name ${name} is defined in both ${artifacts.get(name).file} and ${file}`);
      }
      const object = c.evm && c.evm.bytecode && c.evm.bytecode.object;
      if (!object) continue; // interfaces / abstract contracts have no bytecode
      artifacts.set(name, { file, abi: c.abi, bytecode: '0x' + object });
    }
  }
  if (artifacts.size === 0) fail('no deployable contracts found');

  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, a] of artifacts) {
    const target = path.join(outDir, `${name}.json`);
    fs.writeFileSync(target, JSON.stringify({ abi: a.abi, bytecode: a.bytecode }, null, 2) + '\n');
    console.log(`${name} ${a.file} bytecode=${(a.bytecode.length - 2) / 2}B -> ${target}`);
  }
}

main();
