/// A raw pointer that may cross into `concurrentPerform` workers. Each worker must touch a
/// disjoint part of the memory; that discipline, not the compiler, makes it safe.
public struct SendablePointer<T>: @unchecked Sendable {
    public let p: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
    @inlinable public subscript(i: Int) -> T {
        get { p[i] }
        nonmutating set { p[i] = newValue }
    }
}
