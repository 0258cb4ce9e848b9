-- Shifts, cash in/out, voids and the Z-report. (Filled in by the shifts work.)
SELECT 1;
