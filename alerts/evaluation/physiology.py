"""The published numbers the simulated cohort is built from, one place, each with its source or marked assumed.

Nothing here is fitted to the detectors; where no published figure was found the value is an assumption and
says so. docs/alert_quality.md repeats this table.
"""

from __future__ import annotations

# Heart failure --------------------------------------------------------------------------------------------------
# Chaudhry et al., Circulation 2007;116:1549: weight rises gradually from ~30 days before an HF admission and
# diverges most in the final week; mean gains >2–5 lb (0.9–2.3 kg) already carry risk. Ledwidge et al. (HeartPhone),
# Eur J Heart Fail 2013: guideline 2 kg/2–3 days had 21 % sensitivity, weight rose up to 4 days before events, and
# individual 7-day weight swings exceeded 2 kg in three quarters of patients. Desai, Am J Cardiol 2015: many
# patients are admitted with little or no weight change.
HF_SLOW_GAIN_KG = (0.0, 1.0)  # uniform, spread over days -30..-7 (Chaudhry: gradual gain from ~30 days)
HF_FAST_GAIN_MEDIAN_KG = 1.6  # log-normal median of the final-phase gain (Chaudhry: 0.9–2.3 kg most common)
HF_FAST_GAIN_SIGMA = 0.55  # log-normal sigma (assumed; gives ~10 % of episodes above 3.5 kg)
HF_FAST_DAYS = (3, 8)  # final phase length in days (Ledwidge: rise up to 4 days before; Chaudhry: final week)
HF_DRY_SHARE = 0.2  # episodes without fluid weight gain (Desai 2015: "little or no change"; share assumed)
HF_PULSE_RISE = (0.0, 10.0)  # /min over the final phase (assumed)
HF_WEIGHT_DAY_SD = (0.3, 0.9)  # per-patient day-to-day SD of morning weight, kg (assumed, cf. Ledwidge)
HF_WEIGHT_DRIFT_SD = 0.05  # kg/day random walk of dry weight (assumed)
HF_ADMISSION_DAYS = (3, 10)  # no readings, alerts suppressed (assumed)

# COPD -----------------------------------------------------------------------------------------------------------
# Aaron et al., Thorax 2012;67:238: 56 % of exacerbations start suddenly (same day), 44 % gradually, median 4 days.
# Burton et al., J Telemed Telecare 2015;21:29: at onset mean pulse 87 → 94 /min, SpO2 93.6 → 92.4 %.
# Seemungal et al., AJRCCM 2000;161:1608: lung function falls are small and recover over a median 6 days (PEF).
# GOLD 2024: ~80 % of exacerbations are managed outside hospital.
COPD_SUDDEN_SHARE = 0.56
COPD_GRADUAL_DAYS = (2, 7)  # median ~4 (Aaron)
COPD_SPO2_DROP = (2.0, 1.5)  # mean, SD at the event (Burton 1.2 on average; larger in hospitalised: assumed)
COPD_PULSE_RISE = (8.0, 5.0)  # mean, SD (Burton +7)
COPD_FEV1_DROP = (0.12, 0.08)  # fraction, mean, SD (Seemungal: small falls; values assumed)
COPD_RECOVERY_DAYS = 7  # Seemungal median 6–7 days
COPD_ADMITTED_SHARE = 0.2  # GOLD: ~80 % outpatient
COPD_SPO2_BASE = (90.0, 96.0)
COPD_SPO2_DAY_SD = 1.0  # assumed (oximeter accuracy ±2 %)
COPD_PULSE_BASE = (70.0, 90.0)
COPD_FEV1_BASE = (0.7, 2.0)  # L
COPD_FEV1_DAY_CV = 0.07  # assumed (home spirometry repeatability)

# Diabetes -------------------------------------------------------------------------------------------------------
# Glucose CV: 23–30 % in type 2, 36–38 % in type 1 (real-life CGM cohort, n = 22,006; PMC10877396).
# Kovatchev et al., J Clin Endocrinol Metab 2000;85:4287 and Cox et al., Diabetes Care 2007;30:1370: in the 24 h
# before severe hypoglycaemia the low BG index rises, mean BG is lower and variance higher.
DM_TYPE1_SHARE = 0.3
DM_CV_T1 = (0.36, 0.38)
DM_CV_T2 = (0.23, 0.30)
DM_MEAN = (6.5, 10.0)  # mmol/L (assumed spread of control)
DM_HYPO_MEAN_FACTOR = 0.65  # mean BG in the 48 h before severe hypo (direction: Kovatchev; size assumed)
DM_HYPO_CV_FACTOR = 1.3
DM_HYPO_NIGHT_READING = 0.5  # chance of a night reading on those nights (assumed: woken by symptoms)
DM_NIGHT_READING = 0.05  # chance of a night reading on an ordinary night (assumed)
DM_ILLNESS_FACTOR = 1.7  # mean BG multiplier at the peak of a hyperglycaemic illness (assumed; no trajectory found)
DM_ILLNESS_DAYS = (2, 4)

# Blood pressure -------------------------------------------------------------------------------------------------
BP_SYS = (138.0, 12.0)  # cohort mean, SD (assumed treated population)
BP_DIA = (82.0, 8.0)
BP_DAY_SD = (7.0, 5.0)  # systolic, diastolic day-to-day SD of home readings (assumed)
HTN_CRISIS_RISE = (25.0, 50.0)  # systolic rise over the course to a crisis (assumed, e.g. stopped medication)
HTN_CRISIS_DAYS = (3, 10)

# Everyone -------------------------------------------------------------------------------------------------------
PULSE_DAY_SD = 5.0  # assumed
TEMP = (36.6, 0.3)
MISSED_DAY_BETA = (2.0, 18.0)  # per-patient share of days without measuring, mean 10 % (assumed)
OUTAGE_START = 0.015  # chance per day a gateway outage starts; lasts 1–3 days, backlog uploads late (assumed)
ERR_WEIGHT_CLOTHES = 0.01  # +1–2 kg
ERR_WEIGHT_OTHER_PERSON = 0.003  # someone else on the scale
ERR_SPO2_PERFUSION = 0.02  # -3..-8 points
ERR_BP_MOVEMENT = 0.02  # +15..30 systolic
ERR_GLUCOSE_CONTAMINATED = 0.005  # x1.5
