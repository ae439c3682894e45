/// The classes of a classification problem, in scikit-learn's order.
///
/// scikit-learn sorts class labels (`np.unique`): numbers numerically, text by code point. Labels
/// here are text (as read from a CSV or an `obs` column); when every label is an integer
/// written canonically ("0", "12", "-3") they are sorted as integers, otherwise by Unicode code
/// point (the order of their UTF-8 bytes). The order decides ties: a k-NN vote between equally
/// frequent classes goes to the first class in this order, and tables list classes in it.
public struct ClassLabels: Sendable, Equatable {
    /// The distinct labels in order; a label's code is its position here.
    public let names: [String]
    /// Whether the labels were sorted as integers.
    public let numeric: Bool
    private let codes: [String: Int32]

    /// The distinct labels among `labels`, sorted.
    public init<S: Sequence>(_ labels: S) where S.Element == String {
        let unique = Array(Set(labels))
        let integers = unique.map { s -> Int64? in
            guard let v = Int64(s), String(v) == s else { return nil }
            return v
        }
        if !unique.isEmpty, integers.allSatisfy({ $0 != nil }) {
            numeric = true
            names = zip(unique, integers).sorted { $0.1! < $1.1! }.map(\.0)
        } else {
            numeric = false
            names = unique.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        codes = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
    }

    public var count: Int { names.count }

    /// The code of `label`, or nil when it is not one of the classes.
    public func code(_ label: String) -> Int32? { codes[label] }

    /// Codes of `labels`, -1 for labels that are not classes.
    public func codes(_ labels: [String]) -> [Int32] { labels.map { codes[$0] ?? -1 } }
}
