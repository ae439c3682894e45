import Foundation
import Mechanics
import SingleCell

extension PromptBuilder {
    /// Renders every example as a JSON line (the format of `PromptWriter`) and hands the bytes,
    /// in order, to `write` in chunks: the same bytes as `build` and `PromptWriter`, made without
    /// a String per example (`PromptLineEncoder`), spread over `options.threads` threads.
    public func buildLines(_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> PromptSummary {
        let started = Date()
        var writing = 0.0
        try validate()
        let plan = try schedule()
        var summary = PromptSummary()
        summary.unmatchedPerturbed = plan.unmatched
        summary.skippedMissingValues = plan.skipped
        let tasks = plan.tasks.map(EncodedTask.init)
        // Several parts per thread even out the work when another process takes a core. Each
        // part has its own buffer, reused from chunk to chunk (a chunk of lines fits in the
        // cache and touches no new memory), and parts are written in order.
        let chunk = 4096
        let encoders = (0..<max(1, options.threads) * 4).map { _ in PromptLineEncoder(self, labels: plan.labels) }
        // Cells, units and the order are read through pointers: no record is copied per example.
        try table.cells.withUnsafeBufferPointer { cells in
            try plan.units.withUnsafeBufferPointer { units in
                try plan.order.withUnsafeBufferPointer { order in
                    for e in encoders { e.cells = cells }
                    let shared = UncheckedSendable((tasks, units, order, encoders))
                    for start in stride(from: 0, to: order.count, by: chunk) {
                        let parts = Parallel.ranges(min(chunk, order.count - start), parts: encoders.count)
                        Parallel.forEach(parts) { p, range in
                            let (tasks, units, order, encoders) = shared.value
                            let encoder = encoders[p]
                            encoder.out.removeAll()
                            for k in range {
                                let (t, u) = order[start + k]
                                do {
                                    try encoder.encode(tasks[t], units.baseAddress! + u, example: start + k)
                                } catch {
                                    encoder.error = error
                                    break
                                }
                            }
                        }
                        // Parts are in order, so the first part that failed has the first failing example.
                        if let error = encoders.lazy.compactMap(\.error).first { throw error }
                        let t = Date()
                        for p in parts.indices { try write(encoders[p].out.bytes) }
                        writing += Date().timeIntervalSince(t)
                    }
                }
            }
        }
        summary.counts = Self.counts(plan.tasks, plan.units, plan.order)
        summary.stringFallbacks = encoders.reduce(0) { $0 + $1.fallbacks }
        summary.formatSeconds = Date().timeIntervalSince(started) - writing
        return summary
    }
}
