// Host imports of ABI v1 (see runtime/abi/README.md). Private to the SDK.

@external("jaegis", "log")
export declare function hostLog(level: i32, ptr: usize, len: usize): void

@external("jaegis", "env")
export declare function hostEnv(namePtr: usize, nameLen: usize, outPtr: usize, outCap: usize): i32
