// Runs an ASL state machine with aws-local-stepfunctions, Lambda Tasks going to the Lambda Invoke endpoint named by
// AWS_ENDPOINT_URL_LAMBDA. Prints every state as it is entered and left, with its duration, then the final output.
//
// usage: node run-state-machine.mjs --definition FILE --input FILE --substitutions JSON [--output FILE]
//                                   [--retry-interval-ms N] [--execution-arn ARN]
// exit status: 0 when the execution succeeded, 1 when it failed, 2 on bad arguments.
import { readFileSync, writeFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

function args(argv) {
  const out = {};
  for (let i = 2; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      console.error(`bad argument: ${argv[i]}`);
      process.exit(2);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['definition', 'input']) {
    if (!out[required]) {
      console.error(`missing --${required}`);
      process.exit(2);
    }
  }
  return out;
}

function substitute(text, substitutions) {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, name) => {
    if (!(name in substitutions)) {
      console.error(`no substitution for \${${name}}`);
      process.exit(2);
    }
    return substitutions[name];
  });
}

function retryOverrides(definition, ms, into = {}) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Retry) {
      into[name] = ms;
    }
    const nested = state.ItemProcessor ?? state.Iterator;
    if (nested) {
      retryOverrides(nested, ms, into);
    }
    for (const branch of state.Branches ?? []) {
      retryOverrides(branch, ms, into);
    }
  }
  return into;
}

const opts = args(process.argv);
const substitutions = opts.substitutions ? JSON.parse(opts.substitutions) : {};
const definition = JSON.parse(substitute(readFileSync(opts.definition, 'utf8'), substitutions));
const input = JSON.parse(readFileSync(opts.input, 'utf8'));
const runOptions = {};
if (opts['execution-arn'] !== undefined) {
  // the context object's $$.Execution.Id and Name, as Step Functions gives them
  const arn = opts['execution-arn'];
  runOptions.context = { Execution: { Id: arn, Name: arn.slice(arn.lastIndexOf(':') + 1) } };
}
if (opts['retry-interval-ms'] !== undefined) {
  runOptions.overrides = { retryIntervalOverrides: retryOverrides(definition, Number(opts['retry-interval-ms'])) };
}

const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const execution = machine.run(input, runOptions);
const started = new Map();
const lastError = new Map();
const t0 = Date.now();

function label(event) {
  const index = event.index !== undefined ? `[${event.index}]` : '';
  return `${event.state.name}${index}`;
}

function indent(event) {
  return event.index !== undefined ? '    ' : '';
}

function short(cause) {
  if (cause === undefined || cause === null) {
    return '';
  }
  const text = typeof cause === 'string' ? cause : JSON.stringify(cause);
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

/** A backfill's progress in an upgrade's result (rows done, estimated, rows/s): counts only, never a key or a row. */
function progress(output) {
  const b = output?.call?.results?.[0]?.backfill;
  if (!b) {
    return null;
  }
  const pct = b.estimated > 0 ? ` (${Math.min(100, Math.round((100 * b.done) / b.estimated))}%)` : '';
  const est = b.estimated >= 0 ? ` of ~${b.estimated}` : '';
  return `backfill ${b.script}: ${b.done}${est} rows${pct}, ${b.batches} batches, ${b.perSecond} rows/s${b.finished ? ', finished' : ', continues'}`;
}

for await (const event of execution.eventLogs) {
  switch (event.type) {
    case 'ExecutionStarted':
      console.log(`execution started`);
      break;
    case 'StateEntered':
      started.set(label(event), event.timestamp);
      console.log(`${indent(event)}-> ${label(event)} (${event.state.type}) entered`);
      break;
    case 'StateExited': {
      const ms = event.timestamp - (started.get(label(event)) ?? event.timestamp);
      console.log(`${indent(event)}<- ${label(event)} (${event.state.type}) left after ${ms} ms`);
      const p = event.state.type === 'Task' ? progress(event.state.output) : null;
      if (p) {
        console.log(`${indent(event)}   ${p}`);
      }
      break;
    }
    case 'StateRetried':
      console.log(`${indent(event)}   ${label(event)} retry #${event.retry.attempt} after ${lastError.get(label(event)) ?? 'an error'}`);
      break;
    case 'StateCaught':
      console.log(`${indent(event)}   ${label(event)} caught an error, going on to its Catch`);
      break;
    case 'StateFailed': {
      lastError.set(label(event), event.Error);
      const ms = event.timestamp - (started.get(label(event)) ?? event.timestamp);
      console.log(`${indent(event)}<- ${label(event)} (${event.state.type}) failed after ${ms} ms: ${event.Error}: ${short(event.Cause)}`);
      break;
    }
    case 'MapIterationFailed':
      console.log(`    map iteration ${event.index} of ${event.parentState.name} failed: ${event.Error}`);
      break;
    default:
      break;
  }
}

let status = 0;
let report;
try {
  const output = await execution.result;
  report = { status: 'SUCCEEDED', durationMs: Date.now() - t0, output };
  console.log(`execution succeeded after ${report.durationMs} ms; output:`);
  console.log(JSON.stringify(output, null, 2));
} catch (error) {
  status = 1;
  const cause = error.cause ?? {};
  report = {
    status: 'FAILED',
    durationMs: Date.now() - t0,
    error: cause.name ?? error.name,
    cause: cause.cause ?? cause.message ?? error.message,
  };
  console.log(`execution failed after ${report.durationMs} ms:`);
  console.log(JSON.stringify(report, null, 2));
}
if (opts.output) {
  writeFileSync(opts.output, JSON.stringify(report, null, 2));
}
process.exit(status);
