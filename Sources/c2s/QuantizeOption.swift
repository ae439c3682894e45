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
