// bench:sim — env-steps per second on one core (this thread only), per registered task, with 1
// and 16 envs in one world, random (or scripted-expert) actions, autoresets included, and the
// real-time factor (simulated seconds per wall second). Each configuration warms up first:
// WebAssembly is tiered, and runs shorter than a few seconds measure unoptimised code.
//
// The peer is Meta-World's push (bench/peers/metaworld_steps.py: one env, random actions, its gym
// entry point), run with the Python in MW_PYTHON in the same run: each round measures every row of
// the project, then the peer, so both see the same load. Every task with 16 envs is compared with
// it (ratio of medians, flagged when the runs spread too widely: bench/compare.ts). Without
// MW_PYTHON the project's figures are printed alone.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { CONTROL_DT } from '../config.ts';
import { FLAVOURS, defaultFlavour, type Flavour } from '../rapier.ts';
import { taskNames } from '../registry.ts';
import { expertPolicy, randomPolicy, type Policy } from '../rollout.ts';
import { VecEnv } from '../vec-env.ts';
import { intFlag, listFlag, parseFlags, runCli, UsageError } from '../cli/args.ts';
import { suitesSection, tasksOf } from '../cli/suite-flag.ts';
import { compare, formatComparison, formatSummary, summarize, type Comparison, type Summary } from '../../bench/compare.ts';
import { findPeerPython, runPeer, REPO_ROOT } from '../../bench/peer.ts';

const PEER_ENVS = 16;
const DEFAULT_MW_PATH = resolve(REPO_ROOT, '..', 'shared', 'peers', 'metaworld');

const USAGE = `usage: npm run bench:sim -- [options]
Env-steps per second on one core, per task, against Meta-World's push measured in the same run.

  --tasks a,b,...     tasks (default: every registered task, the suite "all")
  --suite NAME        a named task list instead of --tasks (listed below)
  --envs 1,16         env counts (default: 1,16)
  --flavours f,...    Rapier flavours (default: ${defaultFlavour()}, the one in use; ${FLAVOURS.join(',')} compares them)
  --rounds N          rounds; each measures every row, then the peer (default: 3)
  --seconds S         timed seconds per row and per peer run, after a 1.5 s warm-up (default: 3)
  --policy NAME       random | expert: expert rollouts grasp and carry, so more contacts (default: random)
  --mw-task NAME      the Meta-World task of the peer (default: push-v3)
  --json              print one JSON object
  -h, --help          this text

The peer runs with the Python in MW_PYTHON (mujoco and gymnasium installed) and Meta-World's source
from MW_PATH (default: ../shared/peers/metaworld beside the repository, when it exists). Every
task with ${PEER_ENVS} envs is compared with it; a comparison is flagged UNRELIABLE when a side's runs spread
more than 1.5x (max / min) or the two sides' runs overlap (BENCHMARKS.md, "Simulator throughput").

${suitesSection()}`;

interface Row {
  flavour: Flavour;
  task: string;
  envs: number;
  envStepsPerSec: Summary;
  realTimeFactor: number;
  msPerVecStep: number;
  vsPeer: Comparison | null;
  vsPeerRealTime: number | null;
}

interface PeerOutput {
  task: string;
  envStepsPerSec: number;
  controlDt: number;
  mujoco: string;
}

function measure(env: VecEnv, policy: Policy, seconds: number, seed: number): { steps: number; wall: number } {
  let state = env.reset({ seed });
  const run = (limit: number) => {
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < limit * 1000) {
      state = env.step(policy.act(env, state));
      steps++;
    }
    return { steps, wall: (performance.now() - t0) / 1000 };
  };
  run(1.5);
  return run(seconds);
}

await runCli(USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    tasks: { type: 'string' },
    suite: { type: 'string' },
    envs: { type: 'string' },
    flavours: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    policy: { type: 'string' },
    'mw-task': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const policyName = values.policy ?? 'random';
  if (policyName !== 'random' && policyName !== 'expert') throw new UsageError(`--policy must be random or expert, got "${policyName}"`);
  const tasks = tasksOf(values.suite, values.tasks === undefined ? undefined : listFlag(values.tasks, [])) ?? taskNames();
  const known = taskNames();
  for (const t of tasks) if (!known.includes(t)) throw new UsageError(`unknown task "${t}"; known: ${known.join(', ')}`);
  const envCounts = listFlag(values.envs, ['1', String(PEER_ENVS)]).map((s) => intFlag('envs', s, 1, 1, 4096));
  const flavours = listFlag(values.flavours, [defaultFlavour()]) as Flavour[];
  for (const f of flavours) if (!FLAVOURS.includes(f)) throw new UsageError(`unknown flavour "${f}"; known: ${FLAVOURS.join(', ')}`);
  const seconds = intFlag('seconds', values.seconds, 3, 1, 600);
  const rounds = intFlag('rounds', values.rounds, 3, 1, 100);
  const mwTask = values['mw-task'] ?? 'push-v3';
  const say = (s: string) => {
    if (!values.json) console.log(s);
  };

  const mwPath = process.env.MW_PATH ?? (existsSync(DEFAULT_MW_PATH) ? DEFAULT_MW_PATH : '');
  const peerEnv: Record<string, string> = mwPath ? { MW_PATH: mwPath, PYTHONPATH: [mwPath, process.env.PYTHONPATH].filter(Boolean).join(':') } : {};
  const found = findPeerPython('MW_PYTHON', 'import mujoco, gymnasium, metaworld; print("mujoco", mujoco.__version__)', 'mujoco, gymnasium and metaworld (MW_PATH)', peerEnv);
  say(`bench:sim — one core, ${policyName} actions, ${1 / CONTROL_DT} Hz control, ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s per row (${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, node ${process.version})`);
  if (!found.python) say(`Meta-World peer not run: ${found.reason}`);

  const configs = flavours.flatMap((flavour) => tasks.flatMap((task) => envCounts.map((envs) => ({ flavour, task, envs }))));
  const runs = configs.map(() => [] as { sps: number; ms: number }[]);
  const peerRuns: number[] = [];
  let peerInfo: PeerOutput | null = null;
  let peerError = found.reason;
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of configs.entries()) {
      const env = await VecEnv.create({ tasks: [c.task], numEnvs: c.envs, flavour: c.flavour });
      const policy = policyName === 'expert' ? expertPolicy : randomPolicy(1);
      const { steps, wall } = measure(env, policy, seconds, 1);
      env.close();
      runs[i].push({ sps: (steps * c.envs) / wall, ms: (wall * 1000) / steps });
      if (!values.json) process.stderr.write('.');
    }
    if (found.python) {
      const r = runPeer<PeerOutput>(found.python, 'metaworld_steps.py', ['--task', mwTask, '--seconds', String(seconds), '--warmup', '1.5'], peerEnv);
      if (typeof r === 'string') peerError = r;
      else {
        peerRuns.push(r.envStepsPerSec);
        peerInfo = r;
      }
      if (!values.json) process.stderr.write('.');
    }
  }
  if (!values.json) process.stderr.write('\n');

  const peer = peerRuns.length > 0 ? summarize(peerRuns) : null;
  const peerRtf = peer && peerInfo ? peer.median * peerInfo.controlDt : null;
  const rows: Row[] = configs.map((c, i) => {
    const sps = summarize(runs[i].map((r) => r.sps));
    const compared = peer && c.envs === PEER_ENVS;
    return {
      ...c,
      envStepsPerSec: sps,
      realTimeFactor: sps.median * CONTROL_DT,
      msPerVecStep: summarize(runs[i].map((r) => r.ms)).median,
      vsPeer: compared ? compare(sps, peer, 'higher') : null,
      vsPeerRealTime: compared && peerRtf ? (sps.median * CONTROL_DT) / peerRtf : null,
    };
  });

  if (values.json) {
    console.log(JSON.stringify({
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
      controlHz: 1 / CONTROL_DT, policy: policyName, seconds, rounds,
      peer: peer && peerInfo
        ? { ok: true, task: peerInfo.task, python: found.python, mujoco: peerInfo.mujoco, controlDt: peerInfo.controlDt, envStepsPerSec: peer, realTimeFactor: peerRtf }
        : { ok: false, reason: peerError },
      rows,
    }));
    return;
  }
  const head = ['flavour', 'task', 'envs', 'env-steps/s min / median / max', 'real-time x', 'ms/step', ...(peer ? [`vs Meta-World ${mwTask}`] : [])];
  const body = rows.map((r) => [r.flavour, r.task, String(r.envs), formatSummary(r.envStepsPerSec, 0), r.realTimeFactor.toFixed(1), r.msPerVecStep.toFixed(2),
    ...(peer ? [r.vsPeer ? `${r.vsPeer.ratio.toFixed(2)}x${r.vsPeer.flags.length ? ' !' : ''}` : '-'] : [])]);
  if (peer && peerInfo) {
    body.push([`Meta-World`, mwTask, '1', formatSummary(peer, 0), peerRtf!.toFixed(1), (1000 / peer.median).toFixed(2), '1.00x']);
  }
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  const line = (c: string[]) => c.map((s, k) => (k < 2 ? s.padEnd(w[k]) : s.padStart(w[k]))).join('  ');
  console.log([line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n'));
  if (peer && peerInfo) {
    console.log(`\nagainst Meta-World ${mwTask} (MuJoCo ${peerInfo.mujoco}, one env, ${(1 / peerInfo.controlDt).toFixed(0)} Hz control; medians, same run; real time compares simulated seconds per wall second):`);
    for (const r of rows) {
      if (r.vsPeer) console.log(`  ${r.flavour} ${r.task} x${r.envs}: env-steps ${formatComparison(r.vsPeer)}; real time ${r.vsPeerRealTime!.toFixed(1)}x`);
    }
  } else if (found.python) {
    console.log(`\nMeta-World peer failed: ${peerError}`);
  }
});
