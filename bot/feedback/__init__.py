"""The knowledge base learns from its learners: the answers /learn gave, members' votes on
them, and the inbox of questions it did not answer well."""

from bot.feedback.questions import normalize_question
from bot.feedback.service import Claim, FeedbackService, Gap, VoteOutcome

__all__ = ["Claim", "FeedbackService", "Gap", "VoteOutcome", "normalize_question"]
