// agents/tensor — CONTEXT
//
// What lives here: choosing and initialising the TensorFlow.js backend (backend.ts), loading the
// native BLAS addon built from native/ (native.ts), and registering its kernels into tfjs
// (kernels.ts). Everything else in agents/ does its math through tfjs and never touches the addon
// or a backend's storage directly; the only exception is agents/nn/adam.ts, which asks whether the
// RrlAdam kernel exists and runs it through tfjs's own kernel dispatch.
//
// May import: @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm, node: built-ins, native/ (the
// addon, at run time). Must not import sim/, server/ or viewer/.
export { selectBackend, BACKEND_ENV, BACKEND_CHOICES, type BackendChoice, type BackendStatus, type SelectOptions } from './backend.ts';
export { loadBlasAddon, ADDON_PATH, type BlasAddon } from './native.ts';
export {
  enableBlasKernels, disableBlasKernels, blasKernelsActive, planMatMul, hasAdamKernel, runAdamKernel,
  ADAM_KERNEL, type AdamAttrs, type NativeBackend,
} from './kernels.ts';
