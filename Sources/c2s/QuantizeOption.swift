import ArgumentParser
import Transformer

extension WeightQuantization: ExpressibleByArgument {}

/// How `--quantize` sits with the other precision options of the inference commands.
enum QuantizeOption {
    /// `--quantize int8` decides the precision of every weight matrix, so an explicit
    /// `--weights fp32` or `bf16` contradicts it (`--weights auto`, the default, does not), and
    /// `--bf16`, which adds bfloat16 copies of fp32 weights, has nothing to copy.
    static func validate(_ quantize: WeightQuantization?, weights: WeightPrecision?, bf16: Bool) throws {
        guard let quantize else { return }
        if let weights, weights != .auto {
            throw ValidationError("--quantize \(quantize.rawValue) keeps every weight matrix in \(quantize.rawValue), so --weights \(weights.rawValue) contradicts it: give one or the other")
        }
        if bf16 {
            throw ValidationError("--bf16 adds bfloat16 copies of fp32 weights; with --quantize \(quantize.rawValue) there are none and decoding reads the \(quantize.rawValue) weights: give one or the other")
        }
    }
}

/// What the model options of `lm` (`ModelOptions`) and of the C2S task commands
/// (`C2SModelOptions`) do alike: check the loading options, and load with the worker threads
/// set and bf16 decoding turned on when asked.
enum ModelLoading {
    static func validate(threads: Int?, maxTokensPerPass: Int, quantize: WeightQuantization?, weights: WeightPrecision?,
                         bf16: Bool) throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if maxTokensPerPass < 1 { throw ValidationError("--max-tokens-per-pass must be at least 1") }
        try QuantizeOption.validate(quantize, weights: weights, bf16: bf16)
    }

    /// Sets the worker threads (all cores when nil), loads with `load`, and with `bf16` turns on
    /// bfloat16 decoding of `language(model)` (a warning where the CPU cannot).
    static func load<Model>(threads: Int?, bf16: Bool, language: (Model) -> any CausalLanguageModel,
                            _ load: () throws -> Model) throws -> Model {
        if let threads { KernelThreads.count = threads }
        Matmul.setThreads(KernelThreads.count)
        let loaded = try load()
        Matmul.setThreads(forMatrices: ModelLoader.matrixPrecision(language(loaded)))
        if bf16 && !ModelLoader.frozenWeights(language(loaded)).enableBF16Decoding() {
            printError("warning: this CPU lacks AVX512_BF16; --bf16 ignored, decoding in fp32")
        }
        return loaded
    }
}
