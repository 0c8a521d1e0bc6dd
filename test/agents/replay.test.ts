// Replay: task-balanced batches whatever each task's data volume; HER "future" relabeling within
// the episode, rewarded by the task's own reward function.
import { describe, expect, it } from 'vitest';
import { EpisodeStager, MultiTaskReplay, STATE_DIM, TaskReplay, type Transition } from '../../agents/replay.ts';
import { GOAL_DIM, OBS, OBS_DIM } from '../../sim/layout.ts';
import { getTask } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';

/** A synthetic episode whose achieved goal at step k is (ep, k, tag). */
function episode(ep: number, len: number, tag: number, goal: number[]): Transition[] {
  return Array.from({ length: len }, (_, k) => {
    const obs = new Float32Array(OBS_DIM);
    obs[OBS.objectPos] = ep;
    obs[OBS.objectPos + 1] = k;
    obs[OBS.objectPos + 2] = tag;
    const nextObs = obs.slice();
    nextObs[OBS.objectPos + 1] = k + 1;
    return {
      obs,
      achieved: new Float32Array([ep, k, tag]),
      action: new Float32Array([k / len, 0, 0, 0]),
      reward: -1,
      nextObs,
      nextAchieved: new Float32Array([ep, k + 1, tag]),
      desired: new Float32Array(goal),
      terminated: false,
    };
  });
}

const push = getTask('push');
const reach = getTask('reach');

describe('TaskReplay', () => {
  it('keeps whole episodes in a ring and knows where each ends', () => {
    const r = new TaskReplay(25);
    r.addEpisode(episode(0, 10, 0, [9, 9, 9]));
    r.addEpisode(episode(1, 10, 0, [9, 9, 9]));
    r.addEpisode(episode(2, 10, 0, [9, 9, 9])); // wraps: overwrites the first 5 slots
    expect(r.size).toBe(25);
    expect(r.written).toBe(30);
    for (let i = 0; i < 25; i++) {
      const abs = r.absolute(i);
      expect(abs % 25).toBe(i);
      expect(abs).toBeGreaterThanOrEqual(5);
      expect(r.episodeEnd[i]).toBe((Math.floor(abs / 10) + 1) * 10);
    }
  });
});

describe('MultiTaskReplay', () => {
  it('draws the same number of rows from each task, whatever their volumes', () => {
    const rep = new MultiTaskReplay({ tasks: [reach, push], capacityPerTask: 10_000, herK: 0, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
    for (let e = 0; e < 100; e++) rep.buffers[0].addEpisode(episode(e, 50, 0, [9, 9, 9]));
    rep.buffers[1].addEpisode(episode(0, 5, 1, [9, 9, 9]));
    const b = rep.sample(256, new Rng(1));
    const counts = [0, 0];
    for (let i = 0; i < 256; i++) {
      counts[b.task[i]]++;
      // rows of task t come from task t's buffer (tag in the object's z)
      expect(b.state[i * STATE_DIM + OBS.objectPos + 2]).toBe(b.task[i]);
    }
    expect(counts).toEqual([128, 128]);
    expect(() => rep.sample(255, new Rng(1))).toThrow(/multiple of the 2 tasks/);
  });

  it('draws the given rows per task, grouped in task order, and refuses counts that do not add up', () => {
    const rep = new MultiTaskReplay({ tasks: [reach, push], capacityPerTask: 1000, herK: 0, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
    for (let e = 0; e < 4; e++) rep.buffers[0].addEpisode(episode(e, 20, 0, [9, 9, 9]));
    rep.buffers[1].addEpisode(episode(0, 5, 1, [9, 9, 9]));
    const b = rep.sample(255, new Rng(1), undefined, [55, 200]);
    for (let i = 0; i < 255; i++) {
      const t = i < 55 ? 0 : 1;
      expect(b.task[i]).toBe(t);
      expect(b.state[i * STATE_DIM + OBS.objectPos + 2]).toBe(t);
    }
    // a task may get no rows at all (then even an empty buffer is fine)
    const empty = new MultiTaskReplay({ tasks: [reach, push], capacityPerTask: 100, herK: 0, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
    empty.buffers[0].addEpisode(episode(0, 20, 0, [9, 9, 9]));
    expect(Array.from(empty.sample(8, new Rng(1), undefined, [8, 0]).task)).toEqual(new Array(8).fill(0));
    expect(() => rep.sample(255, new Rng(1), undefined, [55, 199])).toThrow(/summing to the batch size 255/);
    expect(() => rep.sample(10, new Rng(1), undefined, [10])).toThrow(/must be 2 non-negative integers/);
  });

  it('relabels with goals achieved later in the same episode, rewarded by the task', () => {
    const rep = new MultiTaskReplay({ tasks: [push], capacityPerTask: 1000, herK: 4, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
    for (let e = 0; e < 8; e++) rep.buffers[0].addEpisode(episode(e, 20, 0, [100, 100, 0]));
    const b = rep.sample(4000, new Rng(3));
    let relabeled = 0;
    let successes = 0;
    for (let i = 0; i < 4000; i++) {
      const s = b.state.subarray(i * STATE_DIM, (i + 1) * STATE_DIM);
      const [ep, k] = [s[OBS.objectPos], s[OBS.objectPos + 1]];
      const goal = s.subarray(OBS_DIM, OBS_DIM + GOAL_DIM);
      if (goal[0] === 100) {
        expect(b.reward[i]).toBe(-1);
        continue;
      }
      relabeled++;
      // same episode, achieved at this step or later
      expect(goal[0]).toBe(ep);
      expect(goal[1]).toBeGreaterThanOrEqual(k + 1);
      expect(goal[1]).toBeLessThanOrEqual(20);
      // push counts success within 5 cm in the plane: the relabeled goal (ep, j, 0) vs achieved (ep, k+1, 0)
      const expected = push.isSuccess([ep, k + 1, 0], goal) ? 0 : -1;
      expect(b.reward[i]).toBe(expected);
      if (expected === 0) successes++;
      // the next state carries the same relabeled goal
      expect(Array.from(b.nextState.subarray(i * STATE_DIM + OBS_DIM, i * STATE_DIM + OBS_DIM + 3))).toEqual(Array.from(goal));
    }
    expect(relabeled / 4000).toBeGreaterThan(0.75);
    expect(relabeled / 4000).toBeLessThan(0.85);
    expect(successes).toBeGreaterThan(0);
  });

  it('never relabels when HER is off, and recomputes dense rewards from the hook', () => {
    const off = new MultiTaskReplay({ tasks: [push], capacityPerTask: 100, herK: 0, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
    off.buffers[0].addEpisode(episode(0, 20, 0, [100, 100, 0]));
    const b = off.sample(200, new Rng(2));
    for (let i = 0; i < 200; i++) expect(b.state[i * STATE_DIM + OBS_DIM]).toBe(100);

    const dense = new MultiTaskReplay({ tasks: [push], capacityPerTask: 100, herK: 1e9, reward: 'dense-v1', terminateOnSuccess: true, demoFraction: 0 });
    dense.buffers[0].addEpisode(episode(0, 20, 0, [100, 100, 0]));
    const d = dense.sample(200, new Rng(2));
    let ones = 0;
    for (let i = 0; i < 200; i++) {
      const s = d.state.subarray(i * STATE_DIM, (i + 1) * STATE_DIM);
      const achieved = [s[OBS.objectPos], s[OBS.objectPos + 1] + 1, s[OBS.objectPos + 2]];
      const goal = Array.from(s.subarray(OBS_DIM, OBS_DIM + 3));
      // relabeled to this very step's achieved goal: a success, dense reward 1; else a shaped value below 1
      if (goal[1] === achieved[1]) {
        expect(d.reward[i]).toBe(1);
        ones++;
      } else expect(d.reward[i]).toBeLessThan(1);
      expect(d.reward[i]).toBeGreaterThanOrEqual(0);
      // a relabeled success is terminal when episodes end on success
      expect(d.terminated[i]).toBe(d.reward[i] === 1 ? 1 : 0);
    }
    expect(ones).toBeGreaterThan(0);
  });

  it('mixes in demonstrations at the configured share', () => {
    const rep = new MultiTaskReplay({ tasks: [push], capacityPerTask: 1000, herK: 0, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0.25 });
    rep.buffers[0].addEpisode(episode(0, 50, 0, [1, 1, 1]));
    rep.demos[0].addEpisode(episode(1, 50, 7, [1, 1, 1]));
    const b = rep.sample(4000, new Rng(5));
    let demo = 0;
    for (let i = 0; i < 4000; i++) if (b.state[i * STATE_DIM + OBS.objectPos + 2] === 7) demo++;
    expect(demo / 4000).toBeGreaterThan(0.22);
    expect(demo / 4000).toBeLessThan(0.28);
    // and flags exactly those rows as demonstrations (the behaviour-cloning term reads the flag)
    for (let i = 0; i < 4000; i++) expect(b.demo[i]).toBe(b.state[i * STATE_DIM + OBS.objectPos + 2] === 7 ? 1 : 0);
  });

  it('ends each state with the goal relative to what was achieved there: desired minus achieved', () => {
    const rep = new MultiTaskReplay({ tasks: [push], capacityPerTask: 100, herK: 4, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
    rep.buffers[0].addEpisode(episode(3, 20, 5, [0.1, 0.2, 0.3]));
    const b = rep.sample(300, new Rng(8));
    for (let i = 0; i < 300; i++) {
      const s = b.state.subarray(i * STATE_DIM, (i + 1) * STATE_DIM);
      const n = b.nextState.subarray(i * STATE_DIM, (i + 1) * STATE_DIM);
      const k = s[OBS.objectPos + 1];
      const goal = s.subarray(OBS_DIM, OBS_DIM + GOAL_DIM);
      // the episode's achieved goal at step k is (3, k, 5), and (3, k + 1, 5) after the step
      expect(Array.from(s.subarray(OBS_DIM + GOAL_DIM))).toEqual([goal[0] - 3, goal[1] - k, goal[2] - 5].map(Math.fround));
      expect(Array.from(n.subarray(OBS_DIM + GOAL_DIM))).toEqual([goal[0] - 3, goal[1] - k - 1, goal[2] - 5].map(Math.fround));
    }
  });
});

describe('EpisodeStager', () => {
  it('writes an env episode only when it ends', () => {
    const st = new EpisodeStager(2);
    const r = new TaskReplay(100);
    for (const t of episode(0, 5, 0, [0, 0, 0])) st.push(1, t);
    expect(r.size).toBe(0);
    expect(st.pendingSteps(1)).toBe(5);
    st.finish(1, r);
    expect(r.size).toBe(5);
    expect(r.episodes).toBe(1);
    expect(st.pendingSteps(1)).toBe(0);
  });
});
