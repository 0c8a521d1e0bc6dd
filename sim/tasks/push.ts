// push: push a puck (cylinder) across the table to a goal on the table.
//
// Randomised at every reset: the puck (radius 3 cm, height 3 cm, 100 g) is placed at x, y in
// [-0.15, 0.15] m; the goal is on the table at x, y in [-0.2, 0.2] m, at least 10 cm from the puck.
//
// Success: the puck's centre is within 5 cm of the goal in the table plane. Time limit 100 control
// steps (4 s). dense-v1: (reach + 2 place) / 3 with reach = 1 - tanh(5 |tcp - puck|) and
// place = 1 - tanh(5 |puck - goal|), 1 on success.
import { ACTION_SCALE } from '../config.ts';
import { dist2, dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';

const TOLERANCE = 0.05;
const RADIUS = 0.03;
const HALF_HEIGHT = 0.015;

const push: TaskDefinition = {
  name: 'push',
  description:
    'Push a puck across the table to a goal on the table. Puck at x, y in [-0.15, 0.15] m, goal at x, y in [-0.2, 0.2] m and at least 10 cm away; success when the puck is within 5 cm of the goal.',
  maxSteps: 100,
  metadata: { objectKind: 'puck', needsGrasp: false, usesFixture: false, goalInAir: false },
  object: { shape: 'cylinder', radius: RADIUS, halfHeight: HALF_HEIGHT, mass: 0.1, friction: 0.6, color: '#d08770' },
  goalColor: '#d08770',
  initializeEpisode(ctx) {
    const puck = ctx.samplePosition({ x: [-0.15, 0.15], y: [-0.15, 0.15], z: HALF_HEIGHT });
    ctx.placeObject(puck);
    ctx.setGoal(ctx.samplePosition({ x: [-0.2, 0.2], y: [-0.2, 0.2], z: HALF_HEIGHT, awayFrom: [puck], minDistance: 0.1 }));
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (achieved, desired) => dist2(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(5 * dist3(s.tcp, s.objectPos));
    const place = 1 - Math.tanh(5 * dist2(achieved, s.goal));
    return (reachR + 2 * place) / 3;
  },
  // Closed loop: close the fingers into a paddle, stand behind the puck on the line from the goal
  // through the puck, then push along it, steering back onto the line; if the puck slides off
  // the paddle, lift, go around and come down behind it again.
  expert(s) {
    const [px, py] = s.objectPos;
    const [tx, ty, tz] = s.tcp;
    let ux = s.goal[0] - px;
    let uy = s.goal[1] - py;
    const d = Math.hypot(ux, uy) || 1;
    ux /= d;
    uy /= d;
    const low = 0.03;
    const high = 0.08;
    const to = (x: number, y: number, z: number) => [(x - tx) / ACTION_SCALE, (y - ty) / ACTION_SCALE, (z - tz) / ACTION_SCALE, 1];
    // Open fingers would tip the puck: close them before going down.
    if (s.gripperGap > 0.01) return to(tx, ty, Math.max(tz, high));
    const bx = px - ux * (RADIUS + 0.022);
    const by = py - uy * (RADIUS + 0.022);
    const along = (tx - px) * ux + (ty - py) * uy;
    const across = -(tx - px) * uy + (ty - py) * ux;
    if (along < -RADIUS && Math.abs(across) < 0.012 && tz < low + 0.015) {
      const ahead = Math.min(d, 0.05);
      return to(px + ux * ahead + across * uy, py + uy * ahead - across * ux, low);
    }
    if (Math.hypot(tx - bx, ty - by) < 0.012) return to(bx, by, low);
    if (tz < high - 0.01) return to(tx, ty, high);
    return to(bx, by, high);
  },
};

export default push;
