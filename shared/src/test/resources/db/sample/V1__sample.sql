CREATE TABLE sample (id int);
