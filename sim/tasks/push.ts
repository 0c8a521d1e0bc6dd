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
    const r = ctx.rng;
    const px = r.uniform(-0.15, 0.15);
    const py = r.uniform(-0.15, 0.15);
    ctx.placeObject([px, py, HALF_HEIGHT]);
    let gx = 0;
    let gy = 0;
    for (let k = 0; k < 100; k++) {
      gx = r.uniform(-0.2, 0.2);
      gy = r.uniform(-0.2, 0.2);
      if (Math.hypot(gx - px, gy - py) >= 0.1) break;
    }
    ctx.setGoal([gx, gy, HALF_HEIGHT]);
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (achieved, desired) => dist2(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(5 * dist3(s.tcp, s.objectPos));
    const place = 1 - Math.tanh(5 * dist2(achieved, s.goal));
    return (reachR + 2 * place) / 3;
  },
  // Closed loop: stand behind the puck on the line from goal through puck, then push along it,
  // lifting and re-approaching when the puck slides off the line.
  expert(s) {
    const [px, py] = s.objectPos;
    const [gx, gy] = s.goal;
    const [tx, ty, tz] = s.tcp;
    let ux = gx - px;
    let uy = gy - py;
    const d = Math.hypot(ux, uy) || 1;
    ux /= d;
    uy /= d;
    const back = RADIUS + 0.025; // finger half-width plus a margin
    const bx = px - ux * back;
    const by = py - uy * back;
    // Hand position relative to the puck: along the push line (s) and across it (c).
    const rx = tx - px;
    const ry = ty - py;
    const along = rx * ux + ry * uy;
    const across = -rx * uy + ry * ux;
    const low = 0.03;
    let target: [number, number, number];
    if (along < -RADIUS && Math.abs(across) < 0.012 && tz < low + 0.02) {
      // Behind the puck and low: push through it toward the goal, steering back onto the line.
      const stop = Math.min(d, 0.06);
      target = [px + ux * stop - uy * 0 + (bx - tx) * 0.5 * 0, py + uy * stop, low];
      target[0] += -across * -uy;
      target[1] += -across * ux;
    } else if (Math.hypot(tx - bx, ty - by) < 0.015) {
      target = [bx, by, low];
    } else {
      // Go around: up, over to the behind point, then down.
      const high = 0.09;
      target = tz < high - 0.01 && Math.hypot(tx - bx, ty - by) > 0.015 ? [tx, ty, high] : [bx, by, high];
      if (tz >= high - 0.01) target = [bx, by, high];
    }
    return [(target[0] - tx) / ACTION_SCALE, (target[1] - ty) / ACTION_SCALE, (target[2] - tz) / ACTION_SCALE, 1];
  },
};

export default push;
