import Foundation
import Mechanics

/// The all-reduce of a step's gradient in per-layer pieces that start while the backward pass
/// is still running, as PyTorch's DistributedDataParallel overlaps its buckets.
///
/// The backward pass finishes the decoder's layers from the last to the first; once layer `l`
/// of the step's last micro-batch is done, its gradient is final and its sum over the ranks can
/// start on a communication thread while layer `l − 1` is computed. Every rank reduces the same
/// pieces in the same order — layers from the last to the first, then everything else
/// (embeddings, final norm, head) — whether or not its backward pass reported them (a rank whose
/// share of the last micro-batch is empty, or a model that reports no layers, issues them all
/// when its backward pass is over), so the collectives always match.
///
/// A parameter belongs to layer `l` when the first all-digit component of its name is `l`
/// (`gpt_neox.layers.3.mlp…`, `transformer.h.3.attn…`, `model.layers.3.…`).
final class OverlappedGradientReduction: @unchecked Sendable {
    /// The gradient's ranges of each layer, by layer, and of the parameters of no layer.
    let layers: [[Range<Int>]]
    let rest: [Range<Int>]

    private let communicator: any Communicator
    private let gradients: UnsafeMutablePointer<Float>
    private let queue = DispatchQueue(label: "c2s.gradient-allreduce")
    private let pending = DispatchGroup()
    private let lock = NSLock()
    private var failure: Error?
    /// Layers issued in this step, counted from the last layer down.
    private var issued = 0
    /// Layers of this step (or the last one) whose sum started during the backward pass.
    private(set) var issuedDuringBackward = 0

    /// Needs an fp32 store (training's); the gradient is laid out like it.
    init(parameters: ParameterStore, gradients: UnsafeMutablePointer<Float>, communicator: any Communicator) {
        precondition(parameters.matrixPrecision == .fp32)
        (layers, rest) = Self.ranges(parameters.specs.map { ($0.name, parameters.pointer($0.name) - parameters.base, $0.count) },
                                     total: parameters.count)
        self.communicator = communicator
        self.gradients = gradients
    }

    /// Groups named ranges `(name, offset, count)` of a `total`-float gradient by layer
    /// (neighbouring ranges merged); `rest` is everything else in `0..<total`, so the pieces
    /// always cover the whole gradient once.
    static func ranges(_ tensors: [(name: String, offset: Int, count: Int)], total: Int) -> (layers: [[Range<Int>]], rest: [Range<Int>]) {
        var byLayer: [Int: [Range<Int>]] = [:]
        for t in tensors where t.count > 0 {
            if let l = layer(of: t.name) { byLayer[l, default: []].append(t.offset..<(t.offset + t.count)) }
        }
        let count = (byLayer.keys.max() ?? -1) + 1
        let layers = (0..<count).map { merged(byLayer[$0] ?? []) }
        var rest: [Range<Int>] = [], next = 0
        for r in merged(layers.flatMap { $0 }) {
            if r.lowerBound > next { rest.append(next..<r.lowerBound) }
            next = max(next, r.upperBound)
        }
        if next < total { rest.append(next..<total) }
        return (layers, rest)
    }

    /// The layer a parameter name belongs to: its first all-digit component.
    static func layer(of name: String) -> Int? {
        name.split(separator: ".").first { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }.flatMap { Int($0) }
    }

    private static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, last.upperBound == r.lowerBound { out[out.count - 1] = last.lowerBound..<r.upperBound } else { out.append(r) }
        }
        return out
    }

    /// Starts a step: no piece issued yet (a step that stopped on an error is waited out).
    func begin() {
        pending.wait()
        lock.lock()
        failure = nil
        lock.unlock()
        issued = 0
        issuedDuringBackward = 0
    }

    /// Called by the backward pass when layer `l`'s gradient is final: issues it (and any
    /// later layer not issued yet) on the communication thread.
    func layerFinished(_ l: Int) {
        guard l >= 0, l < layers.count else { return }
        while issued < layers.count - l {
            issue(layers.count - 1 - issued)
            issuedDuringBackward += 1
        }
    }

    /// Issues what is left and waits for every piece.
    func finish() throws {
        while issued < layers.count { issue(layers.count - 1 - issued) }
        if issued == layers.count { enqueue(rest); issued += 1 }
        pending.wait()
        lock.lock()
        defer { failure = nil; lock.unlock() }
        if let failure { throw failure }
    }

    private func issue(_ l: Int) {
        enqueue(layers[l])
        issued += 1
    }

    private func enqueue(_ ranges: [Range<Int>]) {
        let base = UncheckedSendable(gradients)
        pending.enter()
        queue.async { [self] in
            defer { pending.leave() }
            lock.lock()
            let failed = failure != nil
            lock.unlock()
            guard !failed else { return }
            do {
                for r in ranges { try communicator.allReduceSum(gradients: base.value + r.lowerBound, count: r.count) }
            } catch {
                lock.lock()
                failure = error
                lock.unlock()
            }
        }
    }
}
