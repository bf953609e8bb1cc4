"""GraphQL for the workshops' AI helper: the facilitator's sealed Gemini key, answers
streamed as a subscription, and the kept conversations (the Codelabs face's resolvers)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import codelab_ai
from resolvers.catalog import PageArgs
from schema.pages import Connection, connection, global_int_id


@strawberry.type(description="A question asked to the AI during a codelab, and its answer.")
class CodelabAiConversation:
    legacy_id: str = strawberry.field(description="The id the Codelabs face shows "
                                                  "(`conversation_<n>`).")
    attendee_legacy_id: str | None = strawberry.field(
        description="The attendee who asked (`attendee_<hex>`); null for a facilitator.")
    step_number: int | None = strawberry.field(description="The step it was asked on.")
    question: str = strawberry.field(description="The question.")
    answer: str = strawberry.field(description="The answer.")
    model: str = strawberry.field(description="The model that answered.")
    created_at: datetime = strawberry.field(description="When it was kept.")

    @classmethod
    def from_found(cls, found: codelab_ai.Conversation) -> CodelabAiConversation:
        row = found.row
        return cls(legacy_id=f"conversation_{row.id}",
                   attendee_legacy_id=f"attendee_{found.attendee_user_id.hex}"
                   if found.attendee_user_id else None,
                   step_number=row.step_number, question=row.question, answer=row.answer,
                   model=row.model, created_at=row.created_at)


@strawberry.type(description="A page of a codelab's kept AI conversations, oldest first.")
class CodelabAiConversationConnection(Connection[CodelabAiConversation]):
    pass


@strawberry.type(description="The conversation just kept.")
class CodelabAiConversationPayload:
    conversation: CodelabAiConversation


@strawberry.type(description="The outcome of a settings change.")
class CodelabAiSettingsPayload:
    ok: bool


@strawberry.type(description="The next piece of a streamed AI answer.")
class CodelabAiChunk:
    text: str = strawberry.field(description="The text of this piece.")
    response: JSON = strawberry.field(description="The Gemini `GenerateContentResponse` it "
                                                  "came in (Claude's pieces in the same "
                                                  "shape).")


@strawberry.input(description="A question for the AI helper.")
class CodelabAiQuestionInput:
    prompt: str = strawberry.field(description="1 to 32,000 characters.")
    codelab_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The codelab (an attendee's own by default).")
    step_number: int | None = strawberry.field(default=None, description="1 to 10,000.")
    model: str | None = strawberry.field(
        default=None, description="A Gemini model (the deployment's by default), or a "
                                  "`claude-*` model answered by Claude.")
    system_instruction: str | None = strawberry.field(
        default=None, description="At most 20,000 characters.")
    sealed_api_key: str | None = strawberry.field(
        default=None, description="A Gemini key sealed with the admin password, used "
                                  "instead of the stored one.")
    generation_config: JSON | None = strawberry.field(
        default=None, description="Gemini's generation config (at most 8,192 output "
                                  "tokens).")
    tools: JSON | None = strawberry.field(default=None, description="One Gemini tool or a "
                                                                    "list of up to 8.")


@strawberry.input(description="A question and answer to keep for a codelab.")
class SaveCodelabAiConversationInput:
    codelab_id: relay.GlobalID
    question: str = strawberry.field(description="1 to 32,000 characters.")
    answer: str = strawberry.field(description="1 to 60,000 characters.")
    model: str = strawberry.field(description="The model that answered.")
    step_number: int | None = strawberry.field(default=None, description="1 to 10,000.")


def _codelab_id(value: relay.GlobalID) -> int:
    return global_int_id(value, "Codelab", field="codelabId")


@strawberry.type
class CodelabAiQuery:
    @strawberry.field(description="A codelab's kept AI conversations, oldest first (its "
                                  "facilitators).")
    async def codelab_ai_conversations(self, info: Info, codelab_id: relay.GlobalID,
                                       first: int | None = None, after: str | None = None
                                       ) -> CodelabAiConversationConnection:
        page = await codelab_ai.get_conversations(info.context,
                                                  codelab_id=_codelab_id(codelab_id),
                                                  page=PageArgs(first=first, after=after))
        return connection(CodelabAiConversationConnection, page,
                          CodelabAiConversation.from_found)


@strawberry.type
class CodelabAiMutation:
    @strawberry.mutation(description="Store the facilitator's Gemini key, sealed with the "
                                     "admin password (the README's scheme); a plain key is "
                                     "BAD_USER_INPUT.")
    async def save_codelab_gemini_key(self, info: Info, sealed_key: str
                                      ) -> CodelabAiSettingsPayload:
        await codelab_ai.save_settings(info.context, gemini_api_key=sealed_key)
        return CodelabAiSettingsPayload(ok=True)

    @strawberry.mutation(description="Keep a question asked during a codelab and its answer "
                                     "(its facilitators and attendees).")
    async def save_codelab_ai_conversation(self, info: Info,
                                           input: SaveCodelabAiConversationInput
                                           ) -> CodelabAiConversationPayload:
        found = await codelab_ai.save_conversation(
            info.context, codelab_id=_codelab_id(input.codelab_id), question=input.question,
            answer=input.answer, model=input.model, step_number=input.step_number)
        return CodelabAiConversationPayload(conversation=CodelabAiConversation.from_found(found))


@strawberry.type
class CodelabAiSubscription:
    @strawberry.subscription(description="The AI helper's answer, streamed piece by piece "
                                         "(Gemini, or Claude for a `claude-*` model).")
    async def codelab_ai_answer(self, info: Info, input: CodelabAiQuestionInput
                                ) -> AsyncGenerator[CodelabAiChunk, None]:
        chunks = await codelab_ai.stream(info.context, question=codelab_ai.Question(
            prompt=input.prompt, model=input.model,
            system_instruction=input.system_instruction, api_key=input.sealed_api_key,
            generation_config=input.generation_config, tools=input.tools,
            codelab_id=_codelab_id(input.codelab_id) if input.codelab_id else None,
            step_number=input.step_number))
        async for chunk in chunks:
            yield CodelabAiChunk(text=chunk.text, response=chunk.response)
