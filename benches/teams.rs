//! `diff_members` on large teams: the pure set comparison behind
//! `TeamsHandler::diff_members`, keyed by user id / lowercased username.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opsgenie_users::models::team::{diff_members, DesiredMember, TeamMember, TeamRole};
use opsgenie_users::UserRef;

fn members(n: usize) -> Vec<TeamMember> {
    let v: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"user": {"id": format!("id-{i}"), "username": format!("user{i}@example.com")},
                "role": if i % 10 == 0 { "admin" } else { "user" }})
        })
        .collect();
    serde_json::from_value(serde_json::Value::Array(v)).unwrap()
}

/// Half by id, half by username (mixed case), a tenth with another role,
/// a tenth new; the rest of the team unlisted.
fn desired(n: usize) -> Vec<DesiredMember> {
    (0..n)
        .map(|i| {
            let j = if i % 10 == 9 { i + n } else { i };
            let user = if i % 2 == 0 {
                UserRef::id(format!("id-{j}"))
            } else {
                UserRef::username(format!("User{j}@Example.com"))
            };
            let role = if i % 10 == 3 || j % 10 == 0 {
                TeamRole::Admin
            } else {
                TeamRole::User
            };
            DesiredMember::new(user, role)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("diff_members");
    for n in [100usize, 1_000, 10_000] {
        let actual = members(n);
        let want = desired(n * 9 / 10);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                diff_members(std::hint::black_box(&want), std::hint::black_box(&actual)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
