// One env slot inside a shared Rapier world: its robot (robot.ts), its scene (scene.ts: table,
// objects, fixture) and the episode's desired goal. The slot builds them in a fixed order (table,
// robot, then the task's bodies: body order is part of what makes a seed reproduce), steps them
// around each physics substep, and hands the viewer every body's transform. Slots never touch each
// other: they sit SLOT_SPACING apart.
import type { World } from '@dimforge/rapier3d-simd-compat';
import { IDENTITY, type SlotBody } from './bodies.ts';
import { writeObservation } from './observe.ts';
import type { Rapier } from './rapier.ts';
import { Robot } from './robot.ts';
import { Scene } from './scene.ts';
import { objectsOf, type TaskDefinition, type Vec3 } from './task.ts';

export type { BodyDescription, VisualPart, VisualShape } from './bodies.ts';

export class Slot {
  readonly bodies: SlotBody[] = [];
  readonly robot: Robot;
  readonly scene: Scene;
  /** Desired goal of the current episode. */
  readonly goal = new Float32Array(3);

  constructor(
    R: Rapier,
    world: World,
    readonly origin: Vec3,
    readonly task: TaskDefinition,
  ) {
    this.scene = new Scene(R, world, origin, this.bodies);
    this.robot = new Robot(R, world, origin, this.bodies, objectsOf(task).length > 0);
    this.scene.addTaskBodies(task);
    // Goal marker: drawn by the viewer only, no collider.
    this.bodies.push({
      name: 'goal',
      body: null,
      description: {
        name: 'goal',
        kind: 'marker',
        parts: [{ geometry: { shape: 'sphere', radius: 0.015 }, offset: [0, 0, 0], rotation: IDENTITY, color: task.goalColor ?? '#bf616a' }],
      },
    });
  }

  /** Before each physics substep. */
  substep(): void {
    this.robot.substep();
    this.scene.preSubstep();
  }

  /** After each physics substep. */
  postSubstep(): void {
    this.robot.postSubstep();
    this.scene.postSubstep();
  }

  /** Writes this slot's observation row; false if the state is invalid (see observe.ts). */
  readObservation(obs: Float32Array, row: number, timeFraction: number): boolean {
    return writeObservation(obs, row, this.robot, this.scene, timeFraction);
  }

  /** Writes position (3) and quaternion (4) of every described body, in world frame. */
  writeTransforms(out: Float32Array, offset: number): number {
    let k = offset;
    for (const b of this.bodies) {
      if (b.body) {
        const t = b.body.translation();
        const r = b.body.rotation();
        out[k] = t.x;
        out[k + 1] = t.y;
        out[k + 2] = t.z;
        out[k + 3] = r.x;
        out[k + 4] = r.y;
        out[k + 5] = r.z;
        out[k + 6] = r.w;
      } else {
        out[k] = this.origin[0] + this.goal[0];
        out[k + 1] = this.origin[1] + this.goal[1];
        out[k + 2] = this.origin[2] + this.goal[2];
        out[k + 3] = 0;
        out[k + 4] = 0;
        out[k + 5] = 0;
        out[k + 6] = 1;
      }
      k += 7;
    }
    return k;
  }
}
