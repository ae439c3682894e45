extension ParameterStore {
    /// Queues every parameter of an arena in the layout its checkpoint stores it — the inverse
    /// of `load(from:rename:ignoring:into:)` — and runs `body` with the writer while the
    /// staged copies are alive.
    ///
    /// Per spec: `.asIs` tensors are written straight from the arena; `.transposed` ones
    /// (GPT-2's Conv1D) are written `[in, out]` by the writer; `.perHeadQKV` ones (GPT-NeoX's
    /// fused projection, kept `[Q | K | V]` by the engine) are copied back to the per-head
    /// `[q | k | v]` row order first. Values are copied, never rounded, so loading the written
    /// file gives the arena back bit for bit.
    ///
    /// - Parameters:
    ///   - arena: floats laid out like `base` (the parameters by default; optimizer moments or
    ///     gradients otherwise), `count` of them.
    ///   - dtype: `.f32` (exact) or `.bf16`.
    public func withStoredTensors<R>(from arena: UnsafePointer<Float>? = nil, as dtype: SafetensorsDType = .f32,
                                     _ body: (SafetensorsWriter) throws -> R) throws -> R {
        let source = arena ?? UnsafePointer(base)
        var writer = SafetensorsWriter()
        var staged: [UnsafeMutablePointer<Float>] = []
        defer { for buffer in staged { buffer.deallocate() } }
        for spec in specs {
            let floats = source + (pointer(spec.name) - base)
            switch spec.layout {
            case .asIs:
                try writer.add(spec.name, shape: spec.storedShape, from: floats, as: dtype)
            case .transposed:
                try writer.addTransposed(spec.name, shape: spec.storedShape, from: floats, as: dtype)
            case let .perHeadQKV(heads, headDim):
                let copy = UnsafeMutablePointer<Float>.allocate(capacity: max(1, spec.count))
                staged.append(copy)
                let inner = spec.count / (3 * heads * headDim)  // columns (1 for a bias)
                for h in 0..<heads {
                    for part in 0..<3 {
                        let from = floats + ((part * heads + h) * headDim) * inner
                        let to = copy + ((h * 3 + part) * headDim) * inner
                        to.update(from: from, count: headDim * inner)
                    }
                }
                try writer.add(spec.name, shape: spec.storedShape, from: copy, as: dtype)
            }
        }
        return try body(writer)
    }
}
