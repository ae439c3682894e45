import Foundation

/// A continuous colour map from [0, 1] to colours, given as evenly spaced stops that are
/// interpolated linearly.
public struct Colormap: Sendable, Equatable {
    /// A short name (for tooltips and tests).
    public let name: String
    /// Evenly spaced colours from position 0 to position 1.
    public let stops: [RGBColor]

    /// A colour map through `stops` (at least two, evenly spaced from 0 to 1).
    public init(name: String, stops: [RGBColor]) {
        precondition(stops.count >= 2, "a colour map needs at least two stops")
        self.name = name
        self.stops = stops
    }

    /// Viridis (dark purple → blue → green → yellow): the default for densities and heat maps.
    public static let viridis = Colormap(name: "viridis", stops: ViridisTable.colors)

    /// ColorBrewer "Blues" (white → dark blue): light cells stay white, e.g. confusion matrices.
    public static let blues = Colormap(name: "blues", stops: [
        0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B,
    ].map { RGBColor(hex: $0) })

    /// The colour at position `t` (clamped to [0, 1]; NaN gives the first stop).
    public func color(at t: Double) -> RGBColor {
        let u = t.isNaN ? 0 : min(max(t, 0), 1)
        let x = u * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], fraction: x - Double(i))
    }
}

/// Maps data values to colours of a ``Colormap``, linearly or on a log10 scale.
///
/// With `.log10` (the default for counts and densities), `lower` must be positive; values at
/// or below zero have no colour (`color(for:)` returns nil) and are meant to be left empty.
public struct SequentialColorScale: Sendable, Equatable {
    /// How values are spread over the colour map.
    public enum Transform: Sendable, Equatable {
        case linear
        case log10
    }

    public var lower: Double
    public var upper: Double
    public var transform: Transform
    public var colormap: Colormap

    /// Maps `lower`…`upper` onto the colour map; on a log scale a `lower` ≤ 0 becomes 1.
    public init(lower: Double, upper: Double, transform: Transform = .linear, colormap: Colormap = .viridis) {
        self.transform = transform
        self.colormap = colormap
        if transform == .log10 {
            let lo = lower > 0 ? lower : 1
            self.lower = lo
            self.upper = max(upper, lo)
        } else {
            self.lower = lower
            self.upper = upper
        }
    }

    /// A log10 scale for counts from 1 to `maxCount` (at least one decade, so a sparse
    /// histogram still spans part of the colour range).
    public static func logCounts(max maxCount: Double, colormap: Colormap = .viridis) -> SequentialColorScale {
        SequentialColorScale(lower: 1, upper: Swift.max(maxCount, 10), transform: .log10, colormap: colormap)
    }

    /// Position of `value` in [0, 1] (clamped); nil for NaN, or for values ≤ 0 on a log scale.
    public func position(of value: Double) -> Double? {
        guard !value.isNaN else { return nil }
        switch transform {
        case .linear:
            guard upper > lower else { return 0.5 }
            return min(max((value - lower) / (upper - lower), 0), 1)
        case .log10:
            guard value > 0 else { return nil }
            let a = Foundation.log10(lower), b = Foundation.log10(upper)
            guard b > a else { return 1 }
            return min(max((Foundation.log10(value) - a) / (b - a), 0), 1)
        }
    }

    /// The colour of `value`, or nil where it has none (see ``position(of:)``).
    public func color(for value: Double) -> RGBColor? {
        position(of: value).map(colormap.color(at:))
    }
}
