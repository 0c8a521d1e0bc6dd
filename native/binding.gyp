{
  "targets": [
    {
      "target_name": "rrl_blas",
      "sources": ["rrl_blas.c", "rrl_nets.c", "rrl_sac.c", "rrl_copy.c", "rrl_select.c", "rrl_pool.c", "rrl_vmath.c"],
      "defines": ["<!@(node ./detect.mjs --gyp defines)"],
      "cflags": ["-O3", "-std=c11", "-pthread", "-fno-math-errno", "<!@(node ./detect.mjs --gyp cflags)"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-fno-math-errno"] },
          "link_settings": { "libraries": ["$(SDKROOT)/System/Library/Frameworks/Accelerate.framework"] }
        }, {
          "link_settings": { "libraries": ["<!@(node ./detect.mjs --gyp libs)", "-lm", "-pthread"] }
        }]
      ]
    }
  ]
}
