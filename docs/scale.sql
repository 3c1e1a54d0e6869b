-- Bulk data for docs/performance.md: load after migrate and seed_demo, never into a real database.
SET session_replication_role = replica;
-- 400 more coaches
INSERT INTO staff_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, phone, program_id)
SELECT '!', false, 'scalecoach' || g, 'Coach', 'Number ' || g, 'scalecoach' || g || '@example.org', false, true, now(), '', 1
FROM generate_series(1, 400) g;
INSERT INTO staff_user_groups (user_id, group_id)
SELECT u.id, (SELECT id FROM auth_group WHERE name = 'coach') FROM staff_user u WHERE u.username LIKE 'scalecoach%';
-- 20,000 patients
INSERT INTO patients_patient (program_id, legal_name, preferred_name, date_of_birth, phone, ok_to_leave_message, ok_to_text, safe_contact_notes, preferred_language, enrollment_date, status, clinical_provider_id, created_at, enrollment_token, due_date, delivery_date)
SELECT 1, 'Patient ' || md5(g::text), '', date '1995-01-01' + (g % 3000), '', false, true, '', 'English', current_date - (g % 700), CASE WHEN g % 10 = 0 THEN 'disconnected' ELSE 'active' END,
       (SELECT id FROM staff_user WHERE username = 'supervisor1'), now(), gen_random_uuid(),
       CASE WHEN g % 3 = 0 THEN current_date + (g % 200) END, CASE WHEN g % 3 = 1 THEN current_date - (g % 300) END
FROM generate_series(1, 20000) g;
-- assignments: 50 patients per scale coach
WITH p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM patients_patient WHERE legal_name LIKE 'Patient %'),
     c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM staff_user WHERE username LIKE 'scalecoach%')
INSERT INTO patients_coachassignment (patient_id, coach_id, started_on, ended_on, end_reason, assigned_by_id, created_at)
SELECT p.id, c.id, current_date - 100, NULL, '', c.id, now() FROM p JOIN c ON c.n = p.n / 50;
INSERT INTO patients_patientuserobjectpermission (permission_id, user_id, content_object_id)
SELECT perm.id, a.coach_id, a.patient_id FROM patients_coachassignment a
JOIN auth_permission perm ON perm.codename IN ('view_patient', 'change_patient_contact') AND perm.content_type_id = (SELECT id FROM django_content_type WHERE app_label='patients' AND model='patient')
WHERE a.ended_on IS NULL AND a.coach_id IN (SELECT id FROM staff_user WHERE username LIKE 'scalecoach%');
-- 1,000,000 encounters, each with one patient (and every 10th with 3)
INSERT INTO coaching_encounter (program_id, coach_id, kind, occurred_at, duration_minutes, place, summary, resources_other, created_at, updated_at, entered_in_error_reason)
SELECT 1, a.coach_id, 'community', now() - ((g % 700) || ' days')::interval - ((g % 24) || ' hours')::interval, 45, '', 'Checked in.', '', now(), now(), ''
FROM generate_series(1, 1000000) g
JOIN LATERAL (SELECT coach_id, patient_id FROM patients_coachassignment WHERE id = (SELECT min(id) FROM patients_coachassignment) + (g % 20000)) a ON true;
INSERT INTO coaching_encounterpatient (encounter_id, patient_id)
SELECT e.id, (SELECT min(id) FROM patients_patient WHERE legal_name LIKE 'Patient %') + (e.id % 20000) FROM coaching_encounter e WHERE e.summary = 'Checked in.';
-- 50,000 concerns
INSERT INTO coaching_concern (program_id, patient_id, coach_id, encounter_id, category, description, urgency, status, created_at, close_reason)
SELECT 1, a.patient_id, a.coach_id, NULL, 'basic_needs', 'Needs housing help.', CASE WHEN g % 50 = 0 THEN 'urgent_now' WHEN g % 5 = 0 THEN 'within_24h' ELSE 'routine' END,
       'shared', now() - ((g % 300) || ' hours')::interval, ''
FROM generate_series(1, 50000) g JOIN patients_coachassignment a ON a.id = (SELECT min(id) FROM patients_coachassignment) + (g % 20000);
-- 3,000,000 access-log rows
INSERT INTO recovery_program_accesslog (at, user_id, action, patient_id, record_type, record_id, ip_address)
SELECT now() - ((g % 1000) || ' hours')::interval, (SELECT id FROM staff_user WHERE username='supervisor1'), 'view',
       (SELECT min(id) FROM patients_patient) + (g % 20000), 'patient', '', NULL FROM generate_series(1, 3000000) g;
SET session_replication_role = origin;
ANALYZE;
