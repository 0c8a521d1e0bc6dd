// bench:sim — env-steps per second on one core, per task, with 1 and 16 envs in one world, random
// (or scripted-expert) actions, autoresets included, and the real-time factor (simulated seconds per wall second).
// Each configuration warms up first: WebAssembly is tiered, and runs shorter than a few seconds
// measure unoptimised code. The in-run baseline is the other Rapier flavour (`compat`), so the
// flavour choice is a ratio measured on the same machine at the same time.
import { CONTROL_DT } from '../config.ts';
import { FLAVOURS, type Flavour } from '../rapier.ts';
import { BUILTIN_TASKS } from '../registry.ts';
import { expertPolicy, randomPolicy, type Policy } from '../rollout.ts';
import { VecEnv } from '../vec-env.ts';
import { intFlag, listFlag, parseFlags, runCli, UsageError } from '../cli/args.ts';

const USAGE = `usage: npm run bench:sim -- [options]
  --tasks a,b,...     tasks (default: ${BUILTIN_TASKS.join(',')})
  --envs 1,16         env counts (default: 1,16)
  --flavours f,...    Rapier flavours (default: ${FLAVOURS.join(',')}); the first is the project's
  --seconds S         timed seconds per configuration after a 1.5 s warm-up (default: 3)
  --policy NAME       random | expert: expert rollouts grasp and carry, so more contacts (default: random)
  --json              print one JSON object`;

/**
 * Meta-World v3 push, MuJoCo, one env, random actions, 80 Hz control, measured on this machine
 * class in an earlier session (BENCHMARKS.md, "Simulator throughput (bench:sim)", says how far it moves).
 */
const METAWORLD_PUSH_STEPS_PER_S = 632;
const METAWORLD_RTF = METAWORLD_PUSH_STEPS_PER_S / 80;

interface Row {
  flavour: Flavour;
  task: string;
  envs: number;
  envStepsPerSec: number;
  realTimeFactor: number;
  msPerVecStep: number;
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
    envs: { type: 'string' },
    flavours: { type: 'string' },
    seconds: { type: 'string' },
    policy: { type: 'string' },
    json: { type: 'boolean' },
  });
  const policyName = values.policy ?? 'random';
  if (policyName !== 'random' && policyName !== 'expert') throw new UsageError(`--policy must be random or expert, got "${policyName}"`);
  const tasks = listFlag(values.tasks, [...BUILTIN_TASKS]);
  const envCounts = listFlag(values.envs, ['1', '16']).map((s) => intFlag('envs', s, 1, 1, 4096));
  const flavours = listFlag(values.flavours, [...FLAVOURS]) as Flavour[];
  for (const f of flavours) if (!FLAVOURS.includes(f)) throw new UsageError(`unknown flavour "${f}"; known: ${FLAVOURS.join(', ')}`);
  const seconds = intFlag('seconds', values.seconds, 3, 1, 600);
  const rows: Row[] = [];
  for (const flavour of flavours) {
    for (const task of tasks) {
      for (const n of envCounts) {
        const env = await VecEnv.create({ tasks: [task], numEnvs: n, flavour });
        const policy = policyName === 'expert' ? expertPolicy : randomPolicy(1);
        const { steps, wall } = measure(env, policy, seconds, 1);
        env.close();
        const sps = (steps * n) / wall;
        rows.push({ flavour, task, envs: n, envStepsPerSec: sps, realTimeFactor: sps * CONTROL_DT, msPerVecStep: (wall * 1000) / steps });
        if (!values.json) process.stderr.write(`.`);
      }
    }
  }
  const main = flavours[0];
  const pushRow = rows.find((r) => r.flavour === main && r.task === 'push' && r.envs === 16);
  const summary = {
    machine: { cpus: (await import('node:os')).cpus().length, cpu: (await import('node:os')).cpus()[0]?.model ?? '?', node: process.version },
    controlHz: 1 / CONTROL_DT,
    policy: policyName,
    seconds,
    rows,
    anchors: { metaworldPushStepsPerSec: METAWORLD_PUSH_STEPS_PER_S, metaworldRealTimeFactor: METAWORLD_RTF },
    push16: pushRow
      ? {
          envStepsPerSec: pushRow.envStepsPerSec,
          vsMetaworldSteps: pushRow.envStepsPerSec / METAWORLD_PUSH_STEPS_PER_S,
          vsMetaworldRealTime: pushRow.realTimeFactor / METAWORLD_RTF,
        }
      : null,
    flavourRatios: flavours.length > 1
      ? rows
          .filter((r) => r.flavour === main)
          .map((r) => {
            const other = rows.find((o) => o.flavour !== main && o.task === r.task && o.envs === r.envs);
            return { task: r.task, envs: r.envs, ratio: other ? r.envStepsPerSec / other.envStepsPerSec : null, vs: other?.flavour ?? null };
          })
      : [],
  };
  if (values.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  process.stderr.write('\n');
  console.log(`bench:sim — one core, ${policyName} actions, ${summary.controlHz} Hz control, ${seconds} s timed per row (${summary.machine.cpu}, node ${process.version})\n`);
  const head = ['flavour', 'task', 'envs', 'env-steps/s', 'real-time x', 'ms/step'];
  const body = rows.map((r) => [r.flavour, r.task, String(r.envs), r.envStepsPerSec.toFixed(0), r.realTimeFactor.toFixed(1), r.msPerVecStep.toFixed(2)]);
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  const line = (c: string[]) => c.map((s, k) => (k < 2 ? s.padEnd(w[k]) : s.padStart(w[k]))).join('  ');
  console.log([line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n'));
  if (summary.flavourRatios.length) {
    console.log(`\n${main} vs ${summary.flavourRatios[0].vs} (same run): ` + summary.flavourRatios.map((r) => `${r.task}x${r.envs} ${r.ratio?.toFixed(2)}x`).join(', '));
  }
  if (summary.push16) {
    console.log(
      `push, 16 envs: ${summary.push16.envStepsPerSec.toFixed(0)} env-steps/s = ${summary.push16.vsMetaworldSteps.toFixed(2)}x Meta-World's ${METAWORLD_PUSH_STEPS_PER_S} (target 3x); real-time factor ${pushRow!.realTimeFactor.toFixed(1)} = ${summary.push16.vsMetaworldRealTime.toFixed(1)}x Meta-World's ${METAWORLD_RTF.toFixed(1)} (target 10x)`,
    );
  }
});
