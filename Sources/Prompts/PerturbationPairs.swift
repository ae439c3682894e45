import CellSentences
import SingleCell

/// A perturbed cell and the control cell it is compared with (indices into the cell list).
public struct PerturbationPair: Sendable, Equatable {
    public var control: Int
    public var perturbed: Int
    /// The perturbed cell's value in the perturbation column (for example `STIM` or a drug name).
    public var perturbation: String

    public init(control: Int, perturbed: Int, perturbation: String) {
        self.control = control
        self.perturbed = perturbed
        self.perturbation = perturbation
    }
}

/// Matching perturbed cells with control cells of the same kind.
public enum PerturbationPairing {
    /// Among `indices`, every cell whose `perturbationColumn` value is not `controlValue` is paired
    /// with a control cell (value == `controlValue`) having identical values in every
    /// `matchColumns` column (for example cell type, batch). Controls are drawn by a seeded shuffle
    /// within each match stratum, without reuse until that stratum's controls run out (then reused
    /// in the same order). Perturbed cells with no matching control are skipped and counted in
    /// `unmatched`.
    ///
    /// Cells without a perturbation value take no part. A missing match value matches nothing: such
    /// a perturbed cell is unmatched and such a control is never drawn. Within a stratum the
    /// controls are put in cell-name order before the shuffle (whose stream depends only on the
    /// seed and the stratum's values) and perturbed cells take them in cell-name order, so which
    /// cells are paired does not depend on the cells' order; the pairs come in the order of their
    /// perturbed cells in `indices`. Repeated indices count once.
    ///
    /// Throws `DataError` for an unknown column (listing the available fields), or when perturbed
    /// cells exist but no cell has the control value (naming the expected value and the values
    /// that exist). With no perturbed cells at all the result is empty.
    public static func pairs(cells: [CellRecord], indices: [Int], perturbationColumn: String, controlValue: String, matchColumns: [String], seed: UInt64) throws -> (pairs: [PerturbationPair], unmatched: Int) {
        try CellColumns.require([perturbationColumn], in: cells, role: "perturbation")
        try CellColumns.require(matchColumns, in: cells, role: "match")

        var controls: [[String]: [Int]] = [:]
        var perturbed: [(index: Int, key: [String]?, value: String)] = []
        var controlCount = 0
        var values = Set<String>()
        var seen = Set<Int>()
        for i in indices where seen.insert(i).inserted {
            precondition(cells.indices.contains(i), "cell index \(i) is out of range")
            guard let value = CellColumns.value(cells[i], perturbationColumn) else { continue }
            values.insert(value)
            var key: [String]? = []
            for column in matchColumns {
                guard let v = CellColumns.value(cells[i], column) else { key = nil; break }
                key!.append(v)
            }
            if value == controlValue {
                controlCount += 1
                if let key { controls[key, default: []].append(i) }
            } else {
                perturbed.append((i, key, value))
            }
        }
        if perturbed.isEmpty { return ([], 0) }
        guard controlCount > 0 else {
            let present = values.sorted()
            let shown = present.prefix(20).joined(separator: ", ") + (present.count > 20 ? ", ... (\(present.count) values)" : "")
            throw DataError("no cell has \(perturbationColumn) = '\(controlValue)' (the control value), so perturbed cells cannot be paired with controls; values of \(perturbationColumn): \(shown)")
        }

        // Each stratum's controls in seeded order.
        for (key, members) in controls {
            var order = members.sorted { (cells[$0].name, $0) < (cells[$1].name, $1) }
            SeededOrder.shuffle(&order, seed: seed, stream: SeededOrder.stream(key))
            controls[key] = order
        }
        // Perturbed cells take their stratum's controls in cell-name order.
        var drawOrder = Array(perturbed.indices)
        drawOrder.sort { (cells[perturbed[$0].index].name, perturbed[$0].index) < (cells[perturbed[$1].index].name, perturbed[$1].index) }
        var next: [[String]: Int] = [:]
        var control = [Int?](repeating: nil, count: perturbed.count)
        for p in drawOrder {
            guard let key = perturbed[p].key, let pool = controls[key] else { continue }
            let n = next[key, default: 0]
            control[p] = pool[n % pool.count]
            next[key] = n + 1
        }

        var pairs: [PerturbationPair] = []
        pairs.reserveCapacity(perturbed.count)
        var unmatched = 0
        for (p, cell) in perturbed.enumerated() {
            if let c = control[p] {
                pairs.append(PerturbationPair(control: c, perturbed: cell.index, perturbation: cell.value))
            } else {
                unmatched += 1
            }
        }
        return (pairs, unmatched)
    }
}
