//! Elimination order for the sparse linear solves of KINETIC schemes. The backward Euler matrix
//! `I - dt J` of a reaction scheme is sparse (NaV's 12 states form a ladder: each state talks to
//! two or three others) and diagonally dominant, so Gaussian elimination needs no pivoting and can
//! be written out at load time as straight-line operations over all instances (vectorised by the
//! interpreter) instead of a dense pivoted solve per instance. The order is the minimum-degree
//! heuristic on the symmetric pattern, which keeps the fill-in small.

/// The order in which to eliminate the unknowns of an `n` x `n` system whose nonzero entries are
/// `nz[i * n + j]` (the diagonal is taken as nonzero).
pub fn min_degree_order(n: usize, nz: &[bool]) -> Vec<usize> {
    let mut adj: Vec<Vec<bool>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| i != j && (nz[i * n + j] || nz[j * n + i]))
                .collect()
        })
        .collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for _ in 0..n {
        let degree = |i: usize, adj: &Vec<Vec<bool>>, done: &[bool]| {
            (0..n).filter(|&j| !done[j] && adj[i][j]).count()
        };
        let Some(p) = (0..n)
            .filter(|&i| !done[i])
            .min_by_key(|&i| (degree(i, &adj, &done), i))
        else {
            break;
        };
        let nbrs: Vec<usize> = (0..n).filter(|&j| !done[j] && adj[p][j]).collect();
        for &a in &nbrs {
            for &b in &nbrs {
                if a != b {
                    adj[a][b] = true;
                }
            }
        }
        done[p] = true;
        order.push(p);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_eliminated_from_its_ends_without_fill_growth() {
        // 2 x 3 ladder: 0-1-2 (top), 3-4-5 (bottom), rungs 0-3, 1-4, 2-5
        let n = 6;
        let mut nz = vec![false; n * n];
        for (a, b) in [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)] {
            nz[a * n + b] = true;
            nz[b * n + a] = true;
        }
        let order = min_degree_order(n, &nz);
        assert_eq!(order.len(), n);
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        // a corner (degree 2) goes first
        assert!([0, 2, 3, 5].contains(&order[0]), "{order:?}");
    }
}
