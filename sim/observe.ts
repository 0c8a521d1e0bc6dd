// Writes one env's observation row (layout.ts) from its robot and scene after a control step, and
// says whether the state is valid: finite, fingers on the palm, objects inside OBJECT_BOUNDS and
// slower than 20 m/s. Slots a task does not use are left as they are (zero from the start).
import { CONTROL_DT, HAND, OBJECT_BOUNDS } from './config.ts';
import { OBJECT_SLOTS, OBS, OBS_DIM } from './layout.ts';
import type { Robot } from './robot.ts';
import type { Scene } from './scene.ts';

const jointScratch = new Float64Array(2);

export function writeObservation(obs: Float32Array, row: number, robot: Robot, scene: Scene, timeFraction: number): boolean {
  const o = row * OBS_DIM;
  const [ox, oy, oz] = scene.origin;
  const p = robot.palmPos;
  const tz = p[2] - HAND.tcpBelowPalm;
  obs[o + OBS.tcp] = p[0];
  obs[o + OBS.tcp + 1] = p[1];
  obs[o + OBS.tcp + 2] = tz;
  obs[o + OBS.tcpVel] = robot.palmVel[0];
  obs[o + OBS.tcpVel + 1] = robot.palmVel[1];
  obs[o + OBS.tcpVel + 2] = robot.palmVel[2];
  const fa = robot.fingerA.translation();
  const fb = robot.fingerB.translation();
  const gap = fa.y - fb.y - 2 * HAND.fingerHalf[1];
  obs[o + OBS.gripperGap] = gap;
  obs[o + OBS.gripperGapVel] = (gap - robot.gapPrev) / CONTROL_DT;
  robot.gapPrev = gap;
  let ok = Number.isFinite(gap) && Number.isFinite(fa.z) && Number.isFinite(fb.z) && Number.isFinite(fa.x) && Number.isFinite(fb.x);
  // A finger torn far from the palm means the joint solver blew up.
  if (Math.abs(fa.z - oz - tz) > 0.05 || Math.abs(fb.z - oz - tz) > 0.05) ok = false;

  for (let i = 0; i < scene.objects.length; i++) {
    const body = scene.objects[i].body;
    const slot = OBJECT_SLOTS[i];
    const t = body.translation();
    const r = body.rotation();
    const lv = body.linvel();
    const av = body.angvel();
    const x = t.x - ox;
    const y = t.y - oy;
    const z = t.z - oz;
    obs[o + slot.pos] = x;
    obs[o + slot.pos + 1] = y;
    obs[o + slot.pos + 2] = z;
    obs[o + slot.quat] = r.x;
    obs[o + slot.quat + 1] = r.y;
    obs[o + slot.quat + 2] = r.z;
    obs[o + slot.quat + 3] = r.w;
    obs[o + slot.linvel] = lv.x;
    obs[o + slot.linvel + 1] = lv.y;
    obs[o + slot.linvel + 2] = lv.z;
    obs[o + slot.angvel] = av.x;
    obs[o + slot.angvel + 1] = av.y;
    obs[o + slot.angvel + 2] = av.z;
    obs[o + slot.relTcp] = x - p[0];
    obs[o + slot.relTcp + 1] = y - p[1];
    obs[o + slot.relTcp + 2] = z - tz;
    const speed = Math.abs(lv.x) + Math.abs(lv.y) + Math.abs(lv.z);
    if (
      !(x >= OBJECT_BOUNDS.min[0] && x <= OBJECT_BOUNDS.max[0]) ||
      !(y >= OBJECT_BOUNDS.min[1] && y <= OBJECT_BOUNDS.max[1]) ||
      !(z >= OBJECT_BOUNDS.min[2] && z <= OBJECT_BOUNDS.max[2]) ||
      !Number.isFinite(r.w + av.x + av.y + av.z) ||
      !(speed < 20)
    ) {
      ok = false;
    }
  }

  if (scene.fixture) {
    const t = scene.fixture.translation();
    const r = scene.fixture.rotation();
    obs[o + OBS.fixturePos] = t.x - ox;
    obs[o + OBS.fixturePos + 1] = t.y - oy;
    obs[o + OBS.fixturePos + 2] = t.z - oz;
    obs[o + OBS.fixtureQuat] = r.x;
    obs[o + OBS.fixtureQuat + 1] = r.y;
    obs[o + OBS.fixtureQuat + 2] = r.z;
    obs[o + OBS.fixtureQuat + 3] = r.w;
    for (let j = 0; j < scene.parts.length; j++) {
      scene.observeJoint(j, jointScratch);
      obs[o + OBS.jointPos + j] = jointScratch[0];
      obs[o + OBS.jointVel + j] = jointScratch[1];
      if (!Number.isFinite(jointScratch[0] + jointScratch[1]) || !(Math.abs(jointScratch[1]) < 100)) ok = false;
    }
  }
  obs[o + OBS.timeFraction] = timeFraction;
  return ok;
}
