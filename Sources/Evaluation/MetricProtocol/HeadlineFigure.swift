import Foundation

/// One headline figure of a model with the references it has to be read against: a figure
/// alone (96 % accuracy, Pearson 0.93) says nothing until one knows what guessing, a simple
/// baseline or real data would score on the same cells.
public struct HeadlineFigure: Sendable, Equatable {
    /// How a value is written.
    public enum Unit: Sendable, Equatable {
        /// A share in 0...1, written as a percentage; differences in percentage points.
        case share
        /// A plain number (a correlation, a loss).
        case number
        /// Natural-log likelihood units (a log-likelihood gap).
        case nats

        /// `v` in this unit ("n/a" when undefined): also how a metric writes its rows of a
        /// report table, so that the table and the headline figures agree.
        public func format(_ v: Double) -> String {
            guard v.isFinite else { return "n/a" }
            switch self {
            case .share: return String(format: "%.1f%%", v * 100)
            case .number: return String(format: "%.4g", v)
            case .nats: return String(format: "%+.4g nats", v)
            }
        }
    }

    public var name: String
    public var value: Double
    public var unit: Unit
    /// In the order they are shown; empty when there is nothing to compare with.
    public var references: [HeadlineReference]

    public init(_ name: String, _ value: Double, unit: Unit, references: [HeadlineReference] = []) {
        self.name = name
        self.value = value
        self.unit = unit
        self.references = references
    }

    /// `v` in this figure's unit.
    public func format(_ v: Double) -> String { unit.format(v) }

    /// The figure minus `reference`, signed, in this figure's unit (percentage points for shares).
    public func difference(from reference: HeadlineReference) -> String {
        let d = value - reference.value
        guard d.isFinite else { return "n/a" }
        switch unit {
        case .share: return String(format: "%+.1f pp", d * 100)
        case .number: return String(format: "%+.3g", d)
        case .nats: return String(format: "%+.3g nats", d)
        }
    }

    /// Whether the model beats a floor or how much of a ceiling it reaches, in words.
    public func verdict(against reference: HeadlineReference) -> String {
        guard value.isFinite, reference.value.isFinite else { return "n/a" }
        switch reference.kind {
        case .floor:
            return value > reference.value ? "beaten" : "not beaten"
        case .ceiling:
            guard reference.value != 0 else { return "n/a" }
            return String(format: "%.0f%% of it reached", 100 * value / reference.value)
        }
    }
}

/// A level to compare a headline figure with.
public struct HeadlineReference: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// What a model that learned nothing useful scores (chance, a label-blind null) or what
        /// a simple method reaches (a baseline): the model has to beat it.
        case floor
        /// What a perfect model would reach (real cells against real cells): the model is read
        /// as the share of it that it reaches.
        case ceiling
    }

    public var name: String
    public var value: Double
    public var kind: Kind

    public init(_ name: String, _ value: Double, kind: Kind = .floor) {
        self.name = name
        self.value = value
        self.kind = kind
    }
}
