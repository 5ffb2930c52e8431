"""Reports for the local network: settlements, budgets, participation analytics, the annual
report, and the jobs that produce large ones. Figures are aggregated in SQL."""
