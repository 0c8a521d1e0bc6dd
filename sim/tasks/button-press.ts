// button-press: press a button down from above (Meta-World's button-press-topdown).
//
// A housing (10 x 10 cm, 6 cm tall) with a round button (4 cm across, 20 g) standing 2.5 cm out of
// its top. The button slides down on a prismatic joint (axis -z), 0 (up) to 2 cm (pressed), with a
// spring (400 N/m) that pushes it back up when let go and viscous damping (3 N s/m, about half of
// critical) so it comes back quickly with little overshoot (the limit at 0 stops it anyway).
// Gravity sags it by m g / k, half a millimetre.
//
// Randomised at every reset: the housing's centre at x in [-0.05, 0.2] m, y in [-0.15, 0.15] m, its
// yaw in [-0.5, 0.5] rad; the button starts up.
//
// Achieved goal: the middle of the button's top (TaskState.fixturePoint). Desired goal: where it is
// with the button pressed 2 cm. Success: within 6 mm of it, i.e. pressed 1.4 cm or more (Meta-World
// counts its button within 2.4 cm of its pressed position). Time limit 60 control steps (2.4 s).
// dense-v1: 0.3 reach (the gripper over the button's top) + 0.7 progress (the share of the 2 cm
// pressed), 1 on success.
import { dist3 } from '../math.ts';
import type { TaskDefinition, Vec3 } from '../task.ts';
import { steer } from './steer.ts';

const TRAVEL = 0.02;
const TOLERANCE = 0.006;
const HOUSING_HALF: Vec3 = [0.05, 0.05, 0.03];
const BUTTON_R = 0.02;
const BUTTON_HALF = 0.02;
/** The button's top stands this far above the housing's top when up. */
const STANDS_OUT = 0.025;
/** The middle of the button's top, up (button part frame = base frame at q = 0). */
const TOP: Vec3 = [0, 0, 2 * HOUSING_HALF[2] + STANDS_OUT];
/** The fingertips are 2.5 cm below the tool centre point. */
const FINGERTIPS = 0.025;

const buttonPress: TaskDefinition = {
  name: 'button-press',
  description:
    'Press a button down from above. Button box at x in [-0.05, 0.2] m, y in [-0.15, 0.15] m, yaw in [-0.5, 0.5] rad; the button springs back up when released; success when its top is within 6 mm of where it is pressed down 2 cm.',
  maxSteps: 60,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: {
    color: '#4c566a',
    friction: 0.8,
    parts: [{ halfExtents: HOUSING_HALF, offset: [0, 0, HOUSING_HALF[2]] }],
    moving: [
      {
        name: 'button',
        joint: 'prismatic',
        axis: [0, 0, -1],
        limits: [0, TRAVEL],
        spring: { rest: 0, stiffness: 400 },
        damping: 3,
        mass: 0.02,
        color: '#bf616a',
        parts: [{ shape: 'cylinder', radius: BUTTON_R, halfHeight: BUTTON_HALF, offset: [0, 0, TOP[2] - BUTTON_HALF] }],
      },
    ],
  },
  goalColor: '#bf616a',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: [-0.05, 0.2], y: [-0.15, 0.15] });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-0.5, 0.5));
    ctx.setGoal(ctx.fixturePoint(TOP, 0, TRAVEL));
  },
  achievedGoal: (s) => s.fixturePoint(TOP, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const top = s.fixturePoint(TOP, 0);
    const reachR = 1 - Math.tanh(10 * Math.hypot(s.tcp[0] - top[0], s.tcp[1] - top[1], s.tcp[2] - FINGERTIPS - top[2]));
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / TRAVEL);
    return 0.3 * reachR + 0.7 * progress;
  },
  // Close the fingers into a paddle on the way, go over the button 3 cm above its top, then press
  // straight down to 5 mm below the pressed position (the hand's force beats the spring's 8 N).
  expert(s) {
    const [tx, ty, tz] = s.tcp;
    const top = s.fixturePoint(TOP, 0);
    const above = top[2] + FINGERTIPS + 0.03;
    if (s.gripperGap > 0.01) return steer(s, top[0], top[1], Math.max(tz, above), 1);
    const off = Math.hypot(tx - top[0], ty - top[1]);
    if (off < 0.006) return steer(s, top[0], top[1], s.goal[2] + FINGERTIPS - 0.005, 1);
    if (tz < above - 0.01) return steer(s, tx, ty, above, 1);
    return steer(s, top[0], top[1], above, 1);
  },
};

/** Geometry the tests check against. */
export const BUTTON = { TRAVEL, TOLERANCE, TOP, HOUSING_HALF } as const;

export default buttonPress;
