-- Readable emerging-topic labels (issue 12): the title of the topic's most central post as a subtitle.
ALTER TABLE emerging_topics ADD COLUMN subtitle VARCHAR;
ALTER TABLE agg_crowd_topics ADD COLUMN subtitle VARCHAR;
