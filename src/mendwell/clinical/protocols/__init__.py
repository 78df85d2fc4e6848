"""Protocol templates, visit schedules and the dosing gate."""
