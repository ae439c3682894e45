import CellSentences
import Foundation
import Mechanics
import SingleCell

/// How a dataset's cells are shared between the train, validation and test splits.
public struct SplitFractions: Codable, Sendable, Equatable {
    public var train: Double
    public var validation: Double
    public var test: Double

    /// Fractions of cells for each split: each at least 0, summing to 1 (within 1e-9).
    public init(train: Double, validation: Double, test: Double) throws {
        for (name, value) in [("train", train), ("validation", validation), ("test", test)] {
            guard value.isFinite, value >= 0 else {
                throw DataError("split fractions must be numbers of at least 0, but the \(name) fraction is \(value)")
            }
        }
        let sum = train + validation + test
        guard abs(sum - 1) <= 1e-9 else {
            throw DataError("split fractions must add up to 1, but \(train) + \(validation) + \(test) = \(sum)")
        }
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Parses the command-line form `train,validation,test`, for example `0.8,0.1,0.1`.
    public init(argument: String) throws {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3 else {
            throw DataError("split fractions must be three numbers train,validation,test such as 0.8,0.1,0.1, not '\(argument)'")
        }
        var values: [Double] = []
        for part in parts {
            guard let value = Double(part) else {
                throw DataError("split fractions must be three numbers train,validation,test such as 0.8,0.1,0.1, but '\(part)' in '\(argument)' is not a number")
            }
            values.append(value)
        }
        try self.init(train: values[0], validation: values[1], test: values[2])
    }

    private enum CodingKeys: String, CodingKey { case train, validation, test }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(train: try c.decode(Double.self, forKey: .train),
                      validation: try c.decode(Double.self, forKey: .validation),
                      test: try c.decode(Double.self, forKey: .test))
    }

    /// The fractions in split order (train, validation, test).
    var values: [Double] { [train, validation, test] }
}
