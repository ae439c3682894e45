/// Sorting names (cell names: many, mostly ASCII) fast.
enum NameOrder {
    /// The indices of `names` in ascending order of the names (String `<`), equal names in index
    /// order. ASCII names order as their bytes, so they are compared by their first 16 bytes as
    /// two integers, and as Strings only when those are equal; other names as Strings.
    static func sorted(_ names: [String]) -> [Int] {
        struct Key {
            var high: UInt64, low: UInt64, index: Int
        }
        var keys: [Key] = []
        keys.reserveCapacity(names.count)
        for (i, name) in names.enumerated() {
            var high: UInt64 = 0, low: UInt64 = 0, k = 0
            for byte in name.utf8 {
                guard byte < 128 else {
                    return names.indices.sorted { a, b in names[a] != names[b] ? names[a] < names[b] : a < b }
                }
                // Big-endian, so that integer order is byte order; missing bytes count as 0.
                if k < 8 { high |= UInt64(byte) << (56 - 8 * k) } else if k < 16 { low |= UInt64(byte) << (56 - 8 * (k - 8)) }
                k += 1
            }
            keys.append(Key(high: high, low: low, index: i))
        }
        keys.sort { a, b in
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            let x = names[a.index], y = names[b.index]
            return x != y ? x < y : a.index < b.index
        }
        return keys.map(\.index)
    }
}
