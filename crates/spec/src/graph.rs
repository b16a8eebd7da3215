//! Small directed-graph helpers over nodes numbered in declaration order.
//!
//! Used for `before` between containers and for references between resource params; the
//! compiler uses the same order for provisioning. Everything is deterministic: ties are broken
//! by declaration order, never by hash order.

/// The cycles of the graph, one per strongly connected component that contains a cycle, each
/// given as a path `[a, b, …, a]` starting at the component's first-declared node.
pub fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut result = Vec::new();
    let mut reported = vec![false; n];
    let mut reversed: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, targets) in edges.iter().enumerate() {
        for &to in targets {
            reversed[to].push(from);
        }
    }
    for start in 0..n {
        if reported[start] {
            continue;
        }
        // Shortest path from start back to itself, by breadth-first search.
        let mut previous: Vec<Option<usize>> = vec![None; n];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut visited = vec![false; n];
        let mut closing = None;
        'search: while let Some(node) = queue.pop_front() {
            for &next in &edges[node] {
                if next == start {
                    closing = Some(node);
                    break 'search;
                }
                if !visited[next] {
                    visited[next] = true;
                    previous[next] = Some(node);
                    queue.push_back(next);
                }
            }
        }
        let Some(mut node) = closing else {
            continue;
        };
        let mut path = vec![start];
        while node != start {
            path.push(node);
            node = previous[node].unwrap_or(start);
        }
        path.push(start);
        let len = path.len();
        path[1..len - 1].reverse();
        // Report each tangle once: mark the whole strongly connected component of `start`
        // (what it reaches and what reaches it), not just the path.
        let reaches_start = reachable(&reversed, start);
        for member in 0..n {
            if member == start || (visited[member] && reaches_start[member]) {
                reported[member] = true;
            }
        }
        result.push(path);
    }
    result
}

fn reachable(edges: &[Vec<usize>], start: usize) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![start];
    while let Some(node) = stack.pop() {
        for &next in &edges[node] {
            if !seen[next] {
                seen[next] = true;
                stack.push(next);
            }
        }
    }
    seen
}

/// A topological order (every node after the nodes it points to), ties broken by declaration
/// order; `None` when there is a cycle.
pub fn dependency_order(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = edges.len();
    let mut remaining: Vec<usize> = edges.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, targets) in edges.iter().enumerate() {
        for &to in targets {
            dependents[to].push(from);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(node) = ready.pop_first() {
        order.push(node);
        for &dependent in &dependents[node] {
            remaining[dependent] -= 1;
            if remaining[dependent] == 0 {
                ready.insert(dependent);
            }
        }
    }
    (order.len() == n).then_some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_two_node_cycle_once() {
        let edges = vec![vec![1], vec![0], vec![]];
        assert_eq!(cycles(&edges), vec![vec![0, 1, 0]]);
    }

    #[test]
    fn finds_a_self_loop() {
        assert_eq!(cycles(&[vec![0]]), vec![vec![0, 0]]);
    }

    #[test]
    fn acyclic_graph_has_no_cycles_and_an_order() {
        let edges = vec![vec![2], vec![0, 2], vec![]];
        assert!(cycles(&edges).is_empty());
        assert_eq!(dependency_order(&edges), Some(vec![2, 0, 1]));
    }

    #[test]
    fn cyclic_graph_has_no_order() {
        assert_eq!(dependency_order(&[vec![1], vec![0]]), None);
    }

    #[test]
    fn reports_the_shortest_cycle_through_the_first_node() {
        // 0 → 1 → 2 → 0 and 0 → 2 → 0: the shorter one is reported.
        let edges = vec![vec![1, 2], vec![2], vec![0]];
        assert_eq!(cycles(&edges), vec![vec![0, 2, 0]]);
    }
}
