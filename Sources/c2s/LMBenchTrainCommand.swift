import ArgumentParser
import CKernels
import Foundation
import Mechanics
import Transformer

/// Hidden: times full training steps (forward, backward, gradient clipping, AdamW) on random
/// tokens, for bench/train/run.sh.
struct LMBenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Time training steps of a model on random tokens (benchmark).",
        discussion: """
            Builds the model from --config (random initialisation, seeded) or loads --model, \
            then runs --warmup untimed and --steps timed optimizer steps, each on a fresh \
            batch of --batch random sequences of --tokens tokens with the loss on every \
            token, the gradient clipped to norm 1 and AdamW (weight decay 0.01 outside \
            biases and norms). Prints one JSON line: tokens/s and the time split between \
            forward+backward and the optimizer. With --gemm-peak it only measures the \
            machine's fp32 GEMM rate, in a process of its own so the benchmark's peak \
            memory does not include the test matrices. With --bf16-linear it only times \
            Matmul.linearBF16 (fp32 activations, bfloat16 weights) on the given shapes, for \
            bench/bf16-gemm/run.sh: --warmup untimed and --steps timed products each, one \
            JSON line per shape with the best time.
            """,
        shouldDisplay: false)

    @Option(help: "Hugging Face model folder to fine-tune.")
    var model: String?

    @Option(help: "config.json of a model to build with random weights.")
    var config: String?

    @Option(help: "Sequences per step.")
    var batch = 8

    @Option(help: "Tokens per sequence.")
    var tokens = 256

    @Option(help: "Timed steps.")
    var steps = 5

    @Option(help: "Untimed steps first.")
    var warmup = 1

    @Option(help: "Seed of the initial weights and the random tokens.")
    var seed: UInt64 = 0

    @Option(help: "Learning rate.")
    var learningRate = 1e-4

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Logit floats the cross-entropy computes at once (rows per chunk = this / vocabulary).")
    var crossEntropyChunkFloats = CrossEntropy.chunkFloats

    @Flag(help: "Recompute each layer's activations in the backward pass (activation checkpointing).")
    var checkpointActivations = false

    @Option(help: "Train LoRA adapters of this rank instead of all weights (the base frozen).")
    var loraRank: Int?

    @Option(help: "LoRA target modules, comma-separated, or all-linear.")
    var loraTargets = LoRAConfiguration.allLinear

    @Flag(help: "Only measure this machine's fp32 GEMM rate (best of 3 products 2048x2048x2048 through cblas_sgemm) and print it as gemm_gflops.")
    var gemmPeak = false

    @Option(help: "Only time Matmul.linearBF16 on this shape, M,N,K: a[M,K] fp32 times b[N,K] bfloat16 transposed (repeatable).")
    var bf16Linear: [String] = []

    func validate() throws {
        if gemmPeak { return }
        if !bf16Linear.isEmpty {
            for shape in bf16Linear where Self.shape(shape) == nil { throw ValidationError("--bf16-linear takes M,N,K (positive integers), not '\(shape)'") }
            if steps < 1 || warmup < 0 { throw ValidationError("--steps must be at least 1, --warmup at least 0") }
            return
        }
        if (model == nil) == (config == nil) { throw ValidationError("give exactly one of --model and --config") }
        if batch < 1 || tokens < 2 || steps < 1 || warmup < 0 {
            throw ValidationError("--batch and --steps must be at least 1, --tokens at least 2, --warmup at least 0")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLIErrors.run {
            if let threads { KernelThreads.count = threads }
            Matmul.setThreads(KernelThreads.count)
            CrossEntropy.chunkFloats = crossEntropyChunkFloats
            if gemmPeak {
                print(JSONLine.object([("impl", .string("c2s")), ("gemm_gflops", .double(Self.gemmGFLOPs())), ("threads", .int(KernelThreads.count))]))
                return
            }
            if !bf16Linear.isEmpty {
                for shape in bf16Linear {
                    let (m, n, k) = Self.shape(shape)!
                    let best = Self.timeLinearBF16(m: m, n: n, k: k, warmup: warmup, steps: steps)
                    print(JSONLine.object([
                        ("impl", .string("c2s")), ("m", .int(m)), ("n", .int(n)), ("k", .int(k)), ("seconds", .double(best)),
                        ("gflops", .double(2 * Double(m) * Double(n) * Double(k) / best / 1e9)),
                        ("kernel", .string(c2s_has_bf16_dot() == 0 ? "widened-fp32-blas" : m <= Matmul.fewRows ? "few-rows-bf16" : "gemm-bf16")),
                        ("threads", .int(KernelThreads.count)),
                    ]))
                }
                return
            }
            let built: any CausalLanguageModel
            if let config {
                built = try ModelLoader.makeModel(try ConfigFile(url: URL(fileURLWithPath: config)))
            } else {
                built = try ModelLoader.load(folder: URL(fileURLWithPath: model!))
            }
            guard ArchitectureRegistry.architecture(built.info.modelType)?.trainable == true, let full = built as? any TrainableModel else {
                throw ModelError.input("model_type \(built.info.modelType) cannot be trained (trainable: \(ArchitectureRegistry.trainableTypes.joined(separator: ", ")))")
            }
            if config != nil { full.initializeParameters(seed: seed) }
            var m: any TrainableModel = full
            if let loraRank {
                let adapted = try LowRankAdaptedModel(base: full, configuration: LoRAConfiguration(
                    rank: loraRank, targets: loraTargets.split(separator: ",").map(String.init)))
                adapted.initializeParameters(seed: seed)
                m = adapted
            }
            m.setActivationCheckpointing(checkpointActivations)
            guard tokens <= m.info.contextLength else {
                throw ModelError.input("--tokens \(tokens) is longer than the model's context of \(m.info.contextLength)")
            }
            let count = m.parameters.count
            let gradients = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { gradients.deallocate() }
            let optimizer = AdamW(store: m.parameters)
            let random = CounterRandom(seed: seed)
            let vocabulary = m.info.vocabularySize
            func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

            var passSeconds = 0.0, optimizerSeconds = 0.0
            var losses: [Double] = []
            var stepSeconds: [Double] = []
            for step in 0..<(warmup + steps) {
                var ids: [Int32] = []
                ids.reserveCapacity(batch * tokens)
                for s in 0..<batch {
                    for i in 0..<tokens {
                        let u = random.uniform(sequence: step * batch + s, step: i)
                        ids.append(Int32(min(vocabulary - 1, Int(u * Double(vocabulary)))))
                    }
                }
                // Loss on every token: each position predicts the next one of its sequence.
                var targets = ids
                for s in 0..<batch {
                    for i in 0..<tokens {
                        targets[s * tokens + i] = i + 1 < tokens ? ids[s * tokens + i + 1] : TrainingBatch.ignored
                    }
                }
                let trainingBatch = TrainingBatch(tokens: ids, lengths: Array(repeating: tokens, count: batch), targets: targets)
                let t0 = now()
                gradients.update(repeating: 0, count: count)
                let loss = try m.accumulateGradients(trainingBatch, scale: Float(1 / Double(trainingBatch.targetCount)), into: gradients)
                let t1 = now()
                clipGradNorm(gradients, count: count, maxNorm: 1)
                optimizer.step(m.parameters, gradients: gradients, learningRate: learningRate)
                let t2 = now()
                guard loss.mean.isFinite else { throw ModelError.input("the loss is not finite at step \(step)") }
                if step >= warmup {
                    passSeconds += t1 - t0
                    optimizerSeconds += t2 - t1
                    stepSeconds.append(t2 - t0)
                    losses.append(loss.mean)
                }
            }
            let total = passSeconds + optimizerSeconds
            print(JSONLine.object([
                ("impl", .string("c2s")), ("parameters", .int(full.parameters.count)), ("tokens_per_step", .int(batch * tokens)),
                ("steps", .int(steps)), ("seconds", .double(total)),
                ("tokens_per_s", .double(Double(batch * tokens * steps) / total)),
                ("forward_backward_s", .double(passSeconds)), ("optimizer_s", .double(optimizerSeconds)),
                ("step_s", .doubles(stepSeconds.map(Float.init))), ("losses", .doubles(losses.map(Float.init))),
                ("threads", .int(KernelThreads.count)), ("trainable_parameters", .int(count)),
                ("checkpoint_activations", .number(checkpointActivations ? "true" : "false")),
            ]))
        }
    }

    static func shape(_ text: String) -> (Int, Int, Int)? {
        let parts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    /// Best time of `steps` products c[m, n] = a[m, k] · b[n, k]ᵀ with b in bfloat16, after
    /// `warmup` untimed ones.
    static func timeLinearBF16(m: Int, n: Int, k: Int, warmup: Int, steps: Int) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<UInt16>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(m * k) { a[i] = Float(i % 7) * 0.1 - 0.3 }
        for i in 0..<(n * k) { b[i] = UInt16(truncatingIfNeeded: (Float(i % 5) * 0.1 - 0.2).bitPattern >> 16) }
        c.update(repeating: 0, count: m * n)  // touch the pages before timing
        var best = Double.infinity
        for step in 0..<(warmup + steps) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Matmul.linearBF16(a, b, into: c, m: m, n: n, k: k)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if step >= warmup { best = min(best, seconds) }
        }
        return best
    }

    /// Best of three 2048³ products, in GFLOP/s.
    static func gemmGFLOPs() -> Double {
        let n = 2048
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n), b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Matmul.gemm(transA: false, transB: true, m: n, n: n, k: n, a, lda: n, b, ldb: n, c, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
