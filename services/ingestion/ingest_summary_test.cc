#include "services/ingestion/ingest_summary.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace luoshi::ingestion {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::IngestDocumentResponse Response() {
  v1::IngestDocumentResponse r;
  r.set_created(true);
  v1::Document* d = r.mutable_document();
  d->set_id("doc-1a2b3c4d5e6f7a8b");
  d->set_filename("004.txt");
  d->set_size_bytes(33714);
  d->set_observation_count(1);
  d->set_task_count(12);
  d->set_extractor_version("luoshi-extract/1.0.0");
  v1::DocumentMetadata* m = d->mutable_metadata();
  m->set_title("2023年区政府工作报告重点工作分工方案");
  m->set_type(v1::DOCUMENT_TYPE_DIVISION_PLAN);
  m->set_region("大兴区");
  m->set_year(2023);
  m->set_issuer("区政府办");
  m->set_document_number("京兴政办发〔2023〕1号");
  m->set_published_date("2023-03-09");
  m->set_format(v1::SOURCE_FORMAT_TEXT);
  m->set_encoding("UTF-8");
  v1::Delivery* ind = d->add_deliveries();
  ind->set_target("indicators");
  ind->set_state(v1::DELIVERY_STATE_DELIVERED);
  ind->set_attempts(1);
  v1::Delivery* tasks = d->add_deliveries();
  tasks->set_target("tasks");
  tasks->set_state(v1::DELIVERY_STATE_PENDING);
  tasks->set_attempts(2);
  tasks->set_last_error("the task service did not accept the delivery (UNAVAILABLE: down); retrying");
  v1::Observation* o = r.mutable_extraction()->add_observations();
  o->set_indicator_id("gdp");
  o->set_surface_name("地区生产总值");
  o->mutable_value()->mutable_value()->set_unscaled(45);
  o->mutable_value()->mutable_value()->set_scale(1);
  o->mutable_value()->set_unit("%");
  o->set_period("2023");
  o->set_status(v1::OBSERVATION_STATUS_TARGET);
  for (int i = 1; i <= 12; ++i) {
    v1::TaskDefinition* t = r.mutable_extraction()->add_tasks();
    t->set_number(std::to_string(i));
    t->set_text("全力推动经济回稳向好，确保地区生产总值比上年增长4.5%以上，持续提升经济发展质量和效益");
    t->add_responsible_units("区发展改革委");
    t->mutable_deadline()->set_text("2023年12月31日");
    t->mutable_deadline()->set_date("2023-12-31");
  }
  return r;
}

TEST(IngestSummaryTest, SaysWhatWasStoredExtractedAndDelivered) {
  std::string s = FormatIngestSummary(Response());
  EXPECT_THAT(s, HasSubstr("doc-1a2b3c4d5e6f7a8b  new  2023年区政府工作报告重点工作分工方案\n"));
  EXPECT_THAT(s, HasSubstr("004.txt · 33714 bytes · text · UTF-8"));
  EXPECT_THAT(s, HasSubstr("division plan · 大兴区 · 2023 · 区政府办 · 京兴政办发〔2023〕1号 · published 2023-03-09"));
  EXPECT_THAT(s, HasSubstr("1 figures, 12 tasks (extractor luoshi-extract/1.0.0)"));
  EXPECT_THAT(s, HasSubstr("indicators: delivered · tasks: pending (2 attempts; last error: the task service"));
  EXPECT_THAT(s, HasSubstr("地区生产总值 · 4.5% · 2023 · target · [gdp]"));
  EXPECT_THAT(s, HasSubstr("1  全力推动经济回稳向好"));
  EXPECT_THAT(s, HasSubstr("→ 区发展改革委 · 2023-12-31"));
  EXPECT_THAT(s, HasSubstr("… and 2 more"));  // ten tasks listed by default
  EXPECT_EQ(s.back(), '\n');
}

TEST(IngestSummaryTest, DuplicatesAndDryRunsAreLabelled) {
  v1::IngestDocumentResponse r = Response();
  r.set_created(false);
  EXPECT_THAT(FormatIngestSummary(r), HasSubstr("  already stored  "));
  SummaryOptions dry;
  dry.dry_run = true;
  std::string s = FormatIngestSummary(r, dry);
  EXPECT_THAT(s, HasSubstr("dry run, nothing stored"));
  EXPECT_THAT(s, Not(HasSubstr("delivery")));
}

TEST(IngestSummaryTest, FailedDeliveriesAndLeftOutFiguresAreSpelledOut) {
  v1::IngestDocumentResponse r = Response();
  v1::Delivery* ind = r.mutable_document()->mutable_deliveries(0);
  ind->set_left_out(3);
  ind->set_left_out_reason("3 figures have no period");
  v1::Delivery* tasks = r.mutable_document()->mutable_deliveries(1);
  tasks->set_state(v1::DELIVERY_STATE_FAILED);
  tasks->set_last_error("the task service rejected the delivery (INVALID_ARGUMENT: task 3 has no text)");
  std::string s = FormatIngestSummary(r);
  EXPECT_THAT(s, HasSubstr("indicators: delivered; 3 left out: 3 figures have no period · tasks: FAILED, not "
                           "retried (the task service rejected the delivery (INVALID_ARGUMENT: task 3"));
  SummaryOptions dry;
  dry.dry_run = true;
  EXPECT_THAT(FormatIngestSummary(r, dry), HasSubstr("would send indicators without 3: 3 figures have no period"));
}

TEST(IngestSummaryTest, LongTaskTextIsCutOnACharacterBoundary) {
  std::string s = FormatIngestSummary(Response());
  // Every line must remain valid UTF-8: the cut lands before a lead byte, followed by "…".
  EXPECT_THAT(s, HasSubstr("…  → 区发展改革委"));
  EXPECT_THAT(s, Not(HasSubstr("4.5%以上，持续提升经济发展质量和效益")));
}

}  // namespace
}  // namespace luoshi::ingestion
