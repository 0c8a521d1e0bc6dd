// window-open: slide a window's sash open by its handle.
//
// The sliding window of window.ts (shared with window-close): a frame 28 cm wide and 20 cm tall
// standing upright and facing the robot, a sash that slides 0 to 12 cm sideways along the frame on
// a horizontal prismatic joint with damping and friction, and a handle block standing 6 cm out from
// the sash. A closed gripper comes down beside the handle and pushes it along the frame.
//
// Randomised at every reset: the window's origin at x in [0.16, 0.22] m, y in [-0.1, 0.1] m, its
// yaw in [-0.25, 0.25] rad; the sash starts closed.
//
// Achieved goal: a point of the handle 5 cm out from the sash (TaskState.fixturePoint, so relabeled
// goals work from stored observations). Desired goal: where it is with the sash fully open (12 cm). Success: the
// handle within 3 cm of it, i.e. the sash open 9 cm or more (Meta-World's window-open: 5 cm of a
// 20 cm travel). Time limit 100 control steps (4 s). dense-v1: 0.3 reach (the gripper to its spot
// beside the handle) + 0.7 progress (the share of the 12 cm done), 1 on success.
import { dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';
import { HANDLE, TRAVEL, WINDOW, WINDOW_X, WINDOW_Y, WINDOW_YAW, windowExpert, windowReach } from './window.ts';

const TOLERANCE = 0.03;

const windowOpen: TaskDefinition = {
  name: 'window-open',
  description:
    'Slide a window open by pushing its handle sideways. Window at x in [0.16, 0.22] m, y in [-0.1, 0.1] m, yaw in [-0.25, 0.25] rad, closed; success when the handle is within 3 cm of where it is with the window open 12 cm.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: WINDOW,
  goalColor: '#a3be8c',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: WINDOW_X, y: WINDOW_Y });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-WINDOW_YAW, WINDOW_YAW));
    ctx.setGoal(ctx.fixturePoint(HANDLE, 0, TRAVEL));
  },
  achievedGoal: (s) => s.fixturePoint(HANDLE, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / TRAVEL);
    return 0.3 * windowReach(s, 1) + 0.7 * progress;
  },
  expert: windowExpert(1, TRAVEL),
};

/** Geometry the tests check against. */
export const WINDOW_OPEN = { TOLERANCE, HANDLE, TRAVEL } as const;

export default windowOpen;
