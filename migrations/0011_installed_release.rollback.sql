-- Undoes 0011_installed_release.sql.
drop table jobmon.installed_routine;
drop table jobmon.installed_release;
