// window-close: slide a window's open sash shut by its handle.
//
// The sliding window of window.ts (shared with window-open): a frame 28 cm wide and 20 cm tall
// standing upright and facing the robot, a sash that slides 0 to 12 cm sideways along the frame on
// a horizontal prismatic joint with damping and friction (so it stays where it is left), and a
// handle block standing 6 cm out from the sash. A closed gripper comes down beside the handle and
// pushes it back along the frame.
//
// Randomised at every reset: the window's origin at x in [0.16, 0.22] m, y in [-0.1, 0.1] m, its
// yaw in [-0.25, 0.25] rad; the sash starts open by a distance in [0.07, 0.12] m.
//
// Achieved goal: a point of the handle 5 cm out from the sash (TaskState.fixturePoint). Desired
// goal: where it is with the sash closed. Success: the handle within 3 cm of it, i.e. the sash open
// less than 3 cm. Time limit 100 control steps (4 s). dense-v1: 0.3 reach (the gripper to its spot beside the handle) +
// 0.7 progress (the share of the 12 cm travel closed), 1 on success.
import { dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';
import { HANDLE, TRAVEL, WINDOW, WINDOW_X, WINDOW_Y, WINDOW_YAW, windowExpert, windowReach } from './window.ts';

const TOLERANCE = 0.03;
/** Range of the sash's opening at a reset (m). */
const START: [number, number] = [0.07, TRAVEL];

const windowClose: TaskDefinition = {
  name: 'window-close',
  description:
    'Slide an open window closed by pushing its handle sideways. Window at x in [0.16, 0.22] m, y in [-0.1, 0.1] m, yaw in [-0.25, 0.25] rad, open by 7 to 12 cm; success when the handle is within 3 cm of where it is with the window closed.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: WINDOW,
  goalColor: '#b48ead',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: WINDOW_X, y: WINDOW_Y });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-WINDOW_YAW, WINDOW_YAW));
    ctx.setJoint(0, ctx.rng.uniform(START[0], START[1]));
    ctx.setGoal(ctx.fixturePoint(HANDLE, 0, 0));
  },
  achievedGoal: (s) => s.fixturePoint(HANDLE, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / TRAVEL);
    return 0.3 * windowReach(s, -1) + 0.7 * progress;
  },
  expert: windowExpert(-1, 0),
};

/** Geometry the tests check against. */
export const WINDOW_CLOSE = { TOLERANCE, START, HANDLE, TRAVEL } as const;

export default windowClose;
